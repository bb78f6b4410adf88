"""python3 -m fedtune_trainer TASK_DIR: runs one fedtune-trainer/1 task (see docs/external-trainer.md)."""

import sys

from .run import main

sys.exit(main())
