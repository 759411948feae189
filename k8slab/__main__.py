from k8slab.cli import main

raise SystemExit(main())
