"""Audio: decoding and writing files (`io`), bar cutting (`bars`), features (`features`)."""
