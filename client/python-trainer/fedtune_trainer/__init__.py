"""fedtune's reference external trainer (protocol fedtune-trainer/1)."""
