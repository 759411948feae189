"""One module per `k8slab` subcommand, each with `run(args) -> int`."""
