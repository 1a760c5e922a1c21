"""drumaae's benchmarks, outside the library: `drumaae bench` runs them all (`harness`);
`python -m bench.audio` runs the audio rows alone. Installed as ``drumaae_bench`` (source
folder ``bench/``), like the CLI; results are recorded in docs/benchmarks.md."""
