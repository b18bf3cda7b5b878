from strongroom.cli import main

raise SystemExit(main())
