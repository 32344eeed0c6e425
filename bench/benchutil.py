"""What the Python benchmarks share: the CPU line every benchmark prints."""

import os


def cpu_description():
    """'<model name>, <N> CPUs, features: avx2 fma ...' from /proc/cpuinfo,
    listing the features that pick kernels (AVX2/AVX-512, bf16, VNNI)."""
    name, flags = "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and name == "unknown":
                    name = value.strip()
                elif key == "flags" and not flags:
                    flags = value.split()
    except OSError:
        pass
    interesting = [
        "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16",
        "avx512_vnni", "avx_vnni", "amx_tile",
    ]
    feats = [f for f in interesting if f in flags]
    return f"{name}, {os.cpu_count()} CPUs, features: {' '.join(feats) or '-'}"
