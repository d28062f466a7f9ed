//! safetensors checkpoints with PyTorch DARTS state-dict names.
