"""safetensors read/write: the `safetensors` package when installed, else the format parsed directly.

Format (https://github.com/huggingface/safetensors#format): an 8-byte little-endian header length N,
N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the
tensors' bytes, offsets relative to the end of the header.
"""

import json
import struct

import torch

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}

try:  # pragma: no cover - depends on the installation
    from safetensors.torch import load_file as _load_file, save_file as _save_file
except ImportError:
    _load_file = None
    _save_file = None


def load(path):
    """{name: tensor} from a .safetensors file (float tensors, on the CPU)."""
    if _load_file is not None:
        return _load_file(path)
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_len,) = struct.unpack("<Q", data[:8])
    if 8 + header_len > len(data):
        raise ValueError(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    body = memoryview(data)[8 + header_len :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name} has unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: {name} has offsets outside the file")
        shape = list(entry["shape"])
        raw = bytearray(body[begin:end])  # a writable copy: torch.frombuffer shares its memory
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        count = 1
        for size in shape:
            count *= size
        if flat.numel() != count:
            raise ValueError(f"{path}: {name} holds {flat.numel()} values for shape {shape}")
        tensors[name] = flat.reshape(shape)
    return tensors


def save(tensors, path, metadata=None):
    """Writes {name: tensor} as float32 safetensors (keys sorted, as the package does)."""
    tensors = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in tensors.items()}
    if _save_file is not None:
        _save_file(tensors, path, metadata=metadata)
        return
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        raw = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = dict(metadata)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for raw in chunks:
            handle.write(raw)


def load_folder(folder):
    """The weights of an HF model folder: model.safetensors, or the shards of its index."""
    import os

    single = os.path.join(folder, "model.safetensors")
    if os.path.exists(single):
        return load(single)
    index_path = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index_path):
        raise FileNotFoundError(f"{folder}: no model.safetensors nor model.safetensors.index.json")
    with open(index_path, encoding="utf-8") as handle:
        shards = sorted(set(json.load(handle)["weight_map"].values()))
    tensors = {}
    for shard in shards:
        tensors.update(load(os.path.join(folder, shard)))
    return tensors
