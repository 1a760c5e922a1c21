"""drumaae's command line (installed as the package `drumaae_cli`, console script `drumaae`)."""
