"""Data: the tf.data input pipeline (`dataset`) and corpus building (`corpus`)."""
