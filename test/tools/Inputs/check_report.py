"""Checks attnc --report figures against the seed papers' headline numbers.

argv: configs.json eg_mla.json gta.json mlra4.json (see attnc-report.test).
"""
import json
import sys

configs, eg, gta, mlra = (json.load(open(p)) for p in sys.argv[1:5])
by_function = {r["function"]: r for r in configs}
mha, mla_256, gqa, mla_24 = (by_function[f] for f in
                             ("mha_12x64", "mla_dc256", "gqa_20_5x64", "mla_24"))
eg, gta, mlra = eg[0], gta[0], mlra[0]


def expect(name, got, want):
    assert got == want, f"{name}: got {got}, want {want}"
    print(f"{name}: {got}")


# EG-MLA paper (12 heads, 64+64 head dims, d_v 64): MHA 1536, MLA 320, EG-MLA 128
# elements per token per layer; over 12 layers 18,432 vs 1,536.
expect("mha variant", mha["variant"], "mha")
expect("mha cache", mha["cache_elements_per_token"], 1536)
expect("mla d_c=256 cache", mla_256["cache_elements_per_token"], 320)
expect("eg-mla variant", eg["variant"], "eg-mla")
expect("eg-mla cache", eg["cache_elements_per_token"], 128)
expect("eg-mla index bytes", eg["index_bytes_per_token"], 4)
expect("12-layer MHA cache", 12 * mha["cache_elements_per_token"], 18432)
expect("12-layer EG-MLA cache", 12 * eg["cache_elements_per_token"], 1536)
vs_mha = 1 - eg["cache_elements_per_token"] / mha["cache_elements_per_token"]
vs_mla = 1 - eg["cache_elements_per_token"] / mla_256["cache_elements_per_token"]
assert vs_mha >= 0.916, vs_mha
assert abs(vs_mla - 0.599) < 0.002, vs_mla  # the paper rounds 60.0% as 59.9%
print(f"eg-mla saving: {vs_mha:.1%} vs MHA, {vs_mla:.1%} vs MLA")

# GTA-1B vs GQA with 20 query heads on 5 KV heads of 64: attention FLOPs
# -62.5% (1920 N vs 5120 N), cache -70% (192 vs 640).
n = gta["context"]
expect("gqa variant", gqa["variant"], "gqa")
expect("gta variant", gta["variant"], "gta")
expect("gqa attention flops", gqa["attention_flops_per_decode_step"], 5120 * n)
expect("gta attention flops", gta["attention_flops_per_decode_step"], 1920 * n)
expect("gta cache", gta["cache_elements_per_token"], 192)
expect("gqa cache", gqa["cache_elements_per_token"], 640)
flops_saving = 1 - gta["attention_flops_per_decode_step"] / gqa["attention_flops_per_decode_step"]
cache_saving = 1 - gta["cache_elements_per_token"] / gqa["cache_elements_per_token"]
expect("gta flops saving", flops_saving, 0.625)
expect("gta cache saving", round(cache_saving, 12), 0.7)

# MLRA-4 (24 heads, d_c 512, d_R 64) at --tp=4: 192 per device vs MLA's 576,
# and VARIANTS.md's decode table at N = 8192: 9.4 MB read, 503 vs 428 MFLOP.
expect("mlra variant", mlra["variant"], "mlra-4")
expect("mlra per device", mlra["cache_elements_per_token_per_device"], 192)
expect("mla per device", mla_24["cache_elements_per_token_per_device"], 576)
expect("mlra decode form", mlra["decode_form"], "absorbed")
expect("mlra attention MFLOP", round(mlra["attention_flops_per_decode_step"] / 1e6), 503)
expect("mla attention MFLOP", round(mla_24["attention_flops_per_decode_step"] / 1e6), 428)
expect("mla bf16 KV MB", round(mla_24["cache_elements_per_token"] * 2 * 8192 / 1e6, 1), 9.4)
