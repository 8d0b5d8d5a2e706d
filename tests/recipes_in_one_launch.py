"""Several recipes' runs, one after another, in one `torch.distributed.run` launch (tests/test_multiprocess.py).

    python -m torch.distributed.run --standalone --nproc_per_node 2 -m tests.recipes_in_one_launch OUT '{"toy": [...]}'

Each recipe is run by its own `main(argv)` with `--output_dir OUT/<name>`, exactly as its own launch would run
it; they share one gloo group, and between two, Accelerate's state (precision and the like) is reset.
Why: a launch costs each process the import of torch and Accelerate and the start of gloo, about 7 s of the 12 s
that a recipe's dry run took on two cores; twelve recipes in one launch pay it once.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def run_all(root: Path, recipes: dict[str, list[str]]) -> None:
    from accelerate.state import AcceleratorState, PartialState

    # train() ends with accelerator.end_training(), which destroys the gloo group; a second group on the same
    # launch's store hangs, so the group is kept for the next recipe and destroyed once, after the last
    destroy = PartialState.destroy_process_group
    PartialState.destroy_process_group = lambda self, group=None: None
    try:
        for name, (module, *arguments) in recipes.items():
            importlib.import_module(module).main([*arguments, "--output_dir", str(root / name)])
            # each recipe's Accelerator sets its own precision: forget the last one's (the process group stays)
            AcceleratorState._reset_state(reset_partial_state=False)
    finally:
        PartialState.destroy_process_group = destroy
        PartialState().destroy_process_group()


if __name__ == "__main__":
    run_all(Path(sys.argv[1]), json.loads(sys.argv[2]))
