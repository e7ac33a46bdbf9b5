#!/usr/bin/env python3
"""Runs attnc's GPU kernels (PTX) on the CPU, for machines without a GPU.

  ptx_emulator.py KERNELS.json [--function=NAME] --input=@a.npy ...
                  --output=@o.npy

takes the arguments of attn-gpu-run and does what it does (buffers from the
launch descriptor, outputs and temporaries filled with all-ones bytes, the
launches in order), but interprets the PTX instead of running it on a
device. It is a test tool: it knows the instructions that attnc's kernels
use, each with the semantics of the PTX ISA, and stops with an error on any
other, on a divergent branch, or on a memory access outside every buffer.

How it executes: a block's threads are NumPy lanes, each with its own pc;
those at the lowest pc run the next instruction together, so the sides of
a divergent branch run in turn and join again. Warp instructions
(mma.sync, ldmatrix, shfl.sync) act on each group of 32 lanes and must find
every live lane of the warp there. cp.async copies land only when a cp.async.wait_group retires their
group, so a kernel that reads a tile before waiting for it reads stale
bytes; shared memory starts as all-ones bytes (NaN at every float width).
Threads that run together cannot show a missing bar.sync. Tensor-core products are
exact in float64, rounded once to f32 (the hardware accumulates in at least
f32; results agree to f32 rounding). ex2.approx is exact 2**x.
"""

import argparse
import json
import os
import re
import sys

import numpy as np

SHARED_BASE = 0x1000
GLOBAL_BASE = 1 << 32
GLOBAL_STRIDE = 1 << 32


class EmulationError(Exception):
    pass


# --------------------------------------------------------------------------
# Parsing


def split_operands(text):
    """Splits an operand list at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


class Instruction:
    __slots__ = ("pred", "negate", "opcode", "parts", "operands", "text")

    def __init__(self, text):
        self.text = text
        self.pred, self.negate = None, False
        m = re.match(r"@(!?)(%\w+)\s+(.*)", text, re.S)
        if m:
            self.negate = m.group(1) == "!"
            self.pred = m.group(2)
            text = m.group(3)
        fields = text.split(None, 1)
        self.opcode = fields[0]
        self.parts = self.opcode.split(".")
        self.operands = split_operands(fields[1]) if len(fields) > 1 else []


class Kernel:
    def __init__(self, name, params, body_text, shared_decls):
        self.name = name
        self.params = params
        self.shared = {}  # symbol -> offset in the shared window
        offset = 0
        for sym, align, size in shared_decls:
            offset = (offset + align - 1) // align * align
            self.shared[sym] = offset
            offset += max(size, 0)
        self.static_shared = offset
        self.instructions, self.labels = [], {}
        for stmt in body_text.split(";"):
            stmt = re.sub(r"//[^\n]*", "", stmt).strip()
            while True:
                m = re.match(r"(\$?[\w$]+):\s*(.*)", stmt, re.S)
                if not m:
                    break
                self.labels[m.group(1)] = len(self.instructions)
                stmt = m.group(2).strip()
            if not stmt or stmt.startswith(".reg") or stmt in ("{", "}"):
                continue
            stmt = stmt.strip("{} \n\t")
            if not stmt or stmt.startswith(".reg") or stmt.startswith(".shared"):
                continue
            self.instructions.append(Instruction(" ".join(stmt.split())))


def _reconvergence(self):
    """For each conditional branch, the first instruction of its block's
    immediate post-dominator (len(instructions) for the exit)."""
    if getattr(self, "_ipdom", None) is not None:
        return self._ipdom
    ins = self.instructions
    n = len(ins)
    leaders = {0} | set(self.labels.values())
    for j, i in enumerate(ins):
        if i.parts[0] in ("bra", "ret", "exit") and j + 1 < n:
            leaders.add(j + 1)
    starts = sorted(x for x in leaders if x < n)
    block_of = {}
    for b, st in enumerate(starts):
        end = starts[b + 1] if b + 1 < len(starts) else n
        for j in range(st, end):
            block_of[j] = b
    exit_node = len(starts)
    succ = {}
    for b, st in enumerate(starts):
        end = (starts[b + 1] if b + 1 < len(starts) else n) - 1
        last = ins[end]
        out = set()
        if last.parts[0] == "bra":
            out.add(block_of[self.labels[last.operands[0]]])
            if last.pred is not None:
                out.add(block_of[end + 1] if end + 1 < n else exit_node)
        elif last.parts[0] in ("ret", "exit"):
            out.add(exit_node)
            if last.pred is not None:
                out.add(block_of[end + 1] if end + 1 < n else exit_node)
        else:
            out.add(block_of[end + 1] if end + 1 < n else exit_node)
        succ[b] = out
    nodes = list(range(exit_node + 1))
    pdom = {b: set(nodes) for b in nodes}
    pdom[exit_node] = {exit_node}
    changed = True
    while changed:
        changed = False
        for b in range(exit_node):
            new = set(nodes)
            for t in succ[b]:
                new &= pdom[t]
            new = new | {b}
            if new != pdom[b]:
                pdom[b], changed = new, True
    ipdom = {}
    for j, i in enumerate(ins):
        if i.parts[0] != "bra" or i.pred is None:
            continue
        b = block_of[j]
        strict = pdom[b] - {b}
        # The immediate one: the strict post-dominator that every other
        # strict post-dominator post-dominates.
        imm = next(c for c in strict if all(c == d or d in pdom[c] for d in strict)
                   and all(d == c or c not in pdom[d] for d in strict))
        ipdom[j] = starts[imm] if imm < exit_node else n
    self._ipdom = ipdom
    return ipdom


Kernel.reconvergence = _reconvergence


def parse_ptx(text):
    text = re.sub(r"//[^\n]*", "", text)
    kernels = {}
    shared_decls = []
    for m in re.finditer(r"\.shared\s+\.align\s+(\d+)\s+\.b8\s+([\w$]+)(\[(\d*)\])?\s*;",
                         text):
        shared_decls.append((m.group(2), int(m.group(1)),
                             int(m.group(4)) if m.group(4) else 0))
    for m in re.finditer(r"\.entry\s+([\w$]+)\s*\(([^)]*)\)", text):
        name = m.group(1)
        params = re.findall(r"\.param\s+[^,]*?([\w$]+)\s*(?:,|$)", m.group(2))
        start = text.index("{", m.end())
        depth, i = 0, start
        while True:
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        body = text[start + 1:i]
        local_shared = [(s, a, n) for s, a, n in
                        [(mm.group(2), int(mm.group(1)),
                          int(mm.group(4)) if mm.group(4) else 0)
                         for mm in re.finditer(
                             r"\.shared\s+\.align\s+(\d+)\s+\.b8\s+([\w$]+)(\[(\d*)\])?\s*;",
                             body)]]
        kernels[name] = Kernel(name, params, body, shared_decls + local_shared)
    return kernels


# --------------------------------------------------------------------------
# Values


def f32_bits(x):
    return np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)


def bits_f32(b):
    return (np.asarray(b, dtype=np.uint64) & 0xFFFFFFFF).astype(np.uint32).view(np.float32)


def f64_bits(x):
    return np.asarray(x, dtype=np.float64).view(np.uint64)


def bits_f64(b):
    return np.asarray(b, dtype=np.uint64).view(np.float64)


def bf16_to_f32(bits16):
    return (bits16.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(x):
    """Round to nearest even; NaN stays NaN."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    return np.where(nan, 0x7FC0, rounded & 0xFFFF).astype(np.uint64)


def f16_to_f32(bits16):
    return bits16.astype(np.uint16).view(np.float16).astype(np.float32)


def f32_to_f16(x):
    return np.asarray(x, dtype=np.float32).astype(np.float16).view(np.uint16).astype(np.uint64)


def round_f32(x64, mode):
    """float64 -> float32 with a PTX rounding mode (rn, rz, rm, rp)."""
    r = x64.astype(np.float32)
    if mode == "rn":
        return r
    back = r.astype(np.float64)
    with np.errstate(invalid="ignore"):
        if mode == "rm":
            r = np.where(back > x64, np.nextafter(r, np.float32(-np.inf)), r)
        elif mode == "rp":
            r = np.where(back < x64, np.nextafter(r, np.float32(np.inf)), r)
        elif mode == "rz":
            r = np.where(np.abs(back) > np.abs(x64),
                         np.nextafter(r, np.float32(0)), r)
    return r.astype(np.float32)


WIDTH = {"b8": 8, "u8": 8, "s8": 8, "b16": 16, "u16": 16, "s16": 16, "f16": 16,
         "bf16": 16, "b32": 32, "u32": 32, "s32": 32, "f32": 32, "b64": 64,
         "u64": 64, "s64": 64, "f64": 64, "pred": 1}


def to_signed(v, width):
    v = v.astype(np.uint64) & np.uint64((1 << width) - 1) if width < 64 else v.astype(np.uint64)
    s = v.view(np.int64) if width == 64 else v.astype(np.int64)
    if width < 64:
        s = np.where(s >= (1 << (width - 1)), s - (1 << width), s)
    return s


def mask_width(v, width):
    if width >= 64:
        return v.astype(np.uint64)
    return v.astype(np.uint64) & np.uint64((1 << width) - 1)


def from_signed(s, width):
    return mask_width(np.asarray(s, dtype=np.int64).view(np.uint64), width)


# --------------------------------------------------------------------------
# Memory


class Memory:
    def __init__(self):
        self.buffers = []  # (base, uint8 array)

    def add(self, array):
        base = GLOBAL_BASE + len(self.buffers) * GLOBAL_STRIDE
        self.buffers.append((base, array))
        return base

    def locate(self, addr, nbytes):
        out = []
        for base, arr in self.buffers:
            sel = (addr >= base) & (addr < base + GLOBAL_STRIDE)
            if sel.any():
                off = (addr[sel] - base).astype(np.int64)
                if (off + nbytes > arr.size).any() or (off < 0).any():
                    raise EmulationError(
                        f"global access of {nbytes} bytes outside a buffer of "
                        f"{arr.size} bytes (offset {int(off.max())})")
                out.append((sel, arr, off))
        covered = np.zeros(addr.shape, bool)
        for sel, _, _ in out:
            covered |= sel
        if not covered.all():
            raise EmulationError(f"global access at {hex(int(addr[~covered][0]))}, "
                                 "outside every buffer")
        return out


def gather_bytes(arr, off, nbytes):
    idx = off[:, None] + np.arange(nbytes)[None, :]
    return arr[idx]


def bytes_to_words(b, width_bytes):
    """[n, k*width] uint8 -> [n, k] uint64 little-endian words."""
    n = b.shape[0]
    b = b.reshape(n, -1, width_bytes).astype(np.uint64)
    shifts = (np.arange(width_bytes, dtype=np.uint64) * 8)[None, None, :]
    return (b << shifts).sum(axis=2, dtype=np.uint64)


def words_to_bytes(w, width_bytes):
    shifts = (np.arange(width_bytes, dtype=np.uint64) * 8)[None, None, :]
    return ((w[:, :, None] >> shifts) & 0xFF).astype(np.uint8).reshape(w.shape[0], -1)


# --------------------------------------------------------------------------
# Execution


class Block:
    def __init__(self, kernel, memory, params, grid, block, ctaid, dyn_shared):
        self.k = kernel
        self.mem = memory
        self.params = params
        self.n = block[0] * block[1] * block[2]
        if self.n % 32:
            raise EmulationError("block sizes that are not whole warps")
        t = np.arange(self.n)
        self.special = {
            "%tid.x": t % block[0], "%tid.y": (t // block[0]) % block[1],
            "%tid.z": t // (block[0] * block[1]),
            "%ntid.x": np.full(self.n, block[0]), "%ntid.y": np.full(self.n, block[1]),
            "%ntid.z": np.full(self.n, block[2]),
            "%ctaid.x": np.full(self.n, ctaid[0]), "%ctaid.y": np.full(self.n, ctaid[1]),
            "%ctaid.z": np.full(self.n, ctaid[2]),
            "%nctaid.x": np.full(self.n, grid[0]), "%nctaid.y": np.full(self.n, grid[1]),
            "%nctaid.z": np.full(self.n, grid[2]),
            "%laneid": t % 32, "%warpid": t // 32,
        }
        self.special = {k: v.astype(np.uint64) for k, v in self.special.items()}
        size = kernel.static_shared + dyn_shared
        self.shared = np.full(max(size, 16), 0xFF, np.uint8)
        self.regs = {}
        self.pending, self.groups = [], []

    # operands ------------------------------------------------------------
    def read(self, op):
        if op.startswith("%"):
            if op in self.special:
                return self.special[op]
            if op not in self.regs:
                raise EmulationError(f"read of unset register {op}")
            return self.regs[op]
        if re.fullmatch(r"0[fF][0-9a-fA-F]{8}", op):
            return np.full(self.n, int(op[2:], 16), np.uint64)
        if re.fullmatch(r"0[dD][0-9a-fA-F]{16}", op):
            return np.full(self.n, int(op[2:], 16), np.uint64)
        if re.fullmatch(r"-?(0[xX][0-9a-fA-F]+|\d+)[uU]?", op):
            v = int(op.rstrip("uU"), 0)
            return np.full(self.n, v & ((1 << 64) - 1), np.uint64)
        if op in self.k.shared:
            return np.full(self.n, SHARED_BASE + self.k.shared[op], np.uint64)
        raise EmulationError(f"operand {op}")

    def write(self, dest, value, mask):
        value = np.asarray(value).astype(np.uint64)
        if value.shape == ():
            value = np.full(self.n, value, np.uint64)
        if mask is None or mask.all():
            self.regs[dest] = value
        else:
            old = self.regs.get(dest, np.zeros(self.n, np.uint64))
            self.regs[dest] = np.where(mask, value, old)

    def vector(self, op):
        return [x.strip() for x in op.strip("{}").split(",")]

    def address(self, op):
        m = re.fullmatch(r"\[([^\]+]+)(?:\+(-?\d+))?\]", op.replace(" ", ""))
        if not m:
            raise EmulationError(f"address {op}")
        base = m.group(1)
        if base in self.k.params:
            return base
        return self.read(base) + np.uint64(int(m.group(2) or 0) & ((1 << 64) - 1))

    # memory --------------------------------------------------------------
    def shared_offsets(self, addr, nbytes):
        off = addr.astype(np.int64) - SHARED_BASE
        if (off < 0).any() or (off + nbytes > self.shared.size).any():
            raise EmulationError(f"shared access of {nbytes} bytes outside "
                                 f"{self.shared.size} bytes")
        return off

    def load(self, space, addr, nbytes, mask):
        out = np.zeros((self.n, nbytes), np.uint8)
        sel_all = mask if mask is not None else np.ones(self.n, bool)
        if space == "shared" or (space is None and (addr < GLOBAL_BASE).all()):
            off = self.shared_offsets(addr[sel_all], nbytes)
            out[sel_all] = gather_bytes(self.shared, off, nbytes)
            return out
        idx = np.nonzero(sel_all)[0]
        for sel, arr, off in self.mem.locate(addr[idx], nbytes):
            out[idx[sel]] = gather_bytes(arr, off, nbytes)
        return out

    def store(self, space, addr, data, mask):
        nbytes = data.shape[1]
        sel_all = mask if mask is not None else np.ones(self.n, bool)
        if space == "shared" or (space is None and (addr < GLOBAL_BASE).all()):
            off = self.shared_offsets(addr[sel_all], nbytes)
            idx = off[:, None] + np.arange(nbytes)[None, :]
            self.shared[idx] = data[sel_all]
            return
        idx = np.nonzero(sel_all)[0]
        for sel, arr, off in self.mem.locate(addr[idx], nbytes):
            arr[off[:, None] + np.arange(nbytes)[None, :]] = data[idx[sel]]

    # run -----------------------------------------------------------------
    def run(self, limit=50_000_000):
        """A SIMT stack: where a branch diverges, the taken and the
        fall-through threads run in turn up to the branch's immediate
        post-dominator, where they join again (as GPUs reconverge)."""
        ins = self.k.instructions
        ipdom = self.k.reconvergence()
        done = np.zeros(self.n, bool)
        # Entries: [pc, mask, reconvergence pc or None].
        stack = [[0, np.ones(self.n, bool), None]]
        steps = 0
        while stack:
            steps += 1
            if steps > limit:
                raise EmulationError("instruction limit reached")
            top = stack[-1]
            top[1] &= ~done
            if not top[1].any() or top[0] == top[2]:
                stack.pop()
                continue
            pc, here = top[0], top[1]
            if pc >= len(ins):
                raise EmulationError("ran past the last instruction")
            i = ins[pc]
            mask = here
            if i.pred is not None:
                p = self.read(i.pred) != 0
                mask = here & (~p if i.negate else p)
            op = i.parts[0]
            if op == "bra":
                target = self.k.labels[i.operands[0]]
                taken, fall = mask, here & ~mask
                if not fall.any():
                    top[0] = target
                elif not taken.any():
                    top[0] = pc + 1
                else:
                    join = ipdom[pc]
                    top[0] = join
                    stack.append([pc + 1, fall.copy(), join])
                    stack.append([target, taken.copy(), join])
                continue
            if op in ("ret", "exit"):
                done |= mask
                top[0] = pc + 1
                continue
            if op in ("mma", "ldmatrix", "shfl", "bar", "barrier"):
                self.check_converged(here, done, op)
            try:
                self.execute(i, None if mask.all() else mask)
            except EmulationError as e:
                raise EmulationError(f"{e} (at: {i.text})")
            top[0] = pc + 1

    def check_converged(self, here, done, op):
        """Warp instructions need every live lane of their warps (bar.sync
        every live thread of the block) at the same instruction."""
        live = ~done
        if op in ("bar", "barrier"):
            if (live & ~here).any():
                raise EmulationError("bar.sync with threads elsewhere")
            return
        warps_here = here.reshape(-1, 32).any(axis=1)
        lagging = (live & ~here).reshape(-1, 32).any(axis=1)
        if (warps_here & lagging).any():
            raise EmulationError(f"{op} in a diverged warp")

    def execute(self, i, mask):
        op, parts, o = i.parts[0], i.parts, i.operands
        handler = getattr(self, "op_" + op.replace("-", "_"), None)
        if handler is None:
            raise EmulationError(f"unsupported instruction {i.opcode}")
        handler(parts, o, mask)

    # instructions ----------------------------------------------------------
    def op_mov(self, parts, o, mask):
        t = parts[-1]
        w = WIDTH[t]
        if o[0].startswith("{"):
            dests = self.vector(o[0])
            v = self.read(o[1])
            sub = w // len(dests)
            for j, d in enumerate(dests):
                self.write(d, (v >> np.uint64(j * sub)) & np.uint64((1 << sub) - 1), mask)
            return
        if o[1].startswith("{"):
            srcs = self.vector(o[1])
            sub = w // len(srcs)
            v = np.zeros(self.n, np.uint64)
            for j, s in enumerate(srcs):
                v |= mask_width(self.read(s), sub) << np.uint64(j * sub)
            self.write(o[0], v, mask)
            return
        self.write(o[0], mask_width(self.read(o[1]), w), mask)

    def op_ld(self, parts, o, mask):
        if "param" in parts:
            name = o[1].strip("[]")
            self.write(o[0], np.full(self.n, self.params[name], np.uint64), mask)
            return
        space = "shared" if "shared" in parts else "global" if "global" in parts else None
        t = parts[-1]
        wb = WIDTH[t] // 8
        dests = self.vector(o[0]) if o[0].startswith("{") else [o[0]]
        addr = self.address(o[1])
        data = self.load(space, addr, wb * len(dests), mask)
        words = bytes_to_words(data, wb)
        for j, d in enumerate(dests):
            self.write(d, words[:, j], mask)

    def op_st(self, parts, o, mask):
        space = "shared" if "shared" in parts else "global" if "global" in parts else None
        t = parts[-1]
        wb = WIDTH[t] // 8
        srcs = self.vector(o[1]) if o[1].startswith("{") else [o[1]]
        words = np.stack([mask_width(self.read(s), wb * 8) for s in srcs], axis=1)
        self.store(space, self.address(o[0]), words_to_bytes(words, wb), mask)

    def op_cvta(self, parts, o, mask):
        self.write(o[0], self.read(o[1]), mask)

    def _int_binary(self, parts, o, mask, fn):
        t = parts[-1]
        w = WIDTH[t]
        signed = t.startswith("s")
        a, b = self.read(o[1]), self.read(o[2])
        if signed:
            r = fn(to_signed(a, w), to_signed(b, w))
            self.write(o[0], from_signed(r, w), mask)
        else:
            r = fn(mask_width(a, w).astype(object) if False else mask_width(a, w),
                   mask_width(b, w))
            self.write(o[0], mask_width(r, w), mask)

    def _float(self, t, v):
        return bits_f32(v) if t == "f32" else bits_f64(v)

    def _float_bits(self, t, x):
        return f32_bits(x) if t == "f32" else f64_bits(x)

    def _rounding(self, parts):
        for m in ("rn", "rz", "rm", "rp"):
            if m in parts:
                return m
        return "rn"

    def _float_binary(self, parts, o, mask, fn):
        t = parts[-1]
        a = self._float(t, self.read(o[1])).astype(np.float64)
        b = self._float(t, self.read(o[2])).astype(np.float64)
        with np.errstate(all="ignore"):
            r = fn(a, b)
        r = round_f32(r, self._rounding(parts)) if t == "f32" else r
        self.write(o[0], self._float_bits(t, r), mask)

    def op_add(self, parts, o, mask):
        if parts[-1] in ("f32", "f64"):
            return self._float_binary(parts, o, mask, lambda a, b: a + b)
        self._int_binary(parts, o, mask, lambda a, b: a + b)

    def op_sub(self, parts, o, mask):
        if parts[-1] in ("f32", "f64"):
            return self._float_binary(parts, o, mask, lambda a, b: a - b)
        self._int_binary(parts, o, mask, lambda a, b: a - b)

    def op_mul(self, parts, o, mask):
        t = parts[-1]
        if t in ("f32", "f64"):
            return self._float_binary(parts, o, mask, lambda a, b: a * b)
        w = WIDTH[t]
        signed = t.startswith("s")
        a, b = self.read(o[1]), self.read(o[2])
        if "wide" in parts:
            if signed:
                r = to_signed(a, w) * to_signed(b, w)
                self.write(o[0], from_signed(r, 2 * w), mask)
            else:
                self.write(o[0], mask_width(a, w) * mask_width(b, w), mask)
            return
        if "hi" in parts:
            # The high half of the double-width product (divisions by
            # constants): exact in Python integers.
            if signed:
                x = to_signed(a, w).astype(object) * to_signed(b, w).astype(object)
            else:
                x = mask_width(a, w).astype(object) * mask_width(b, w).astype(object)
            hi = np.array([int(v) >> w for v in x], dtype=object)
            r = np.array([int(v) & ((1 << w) - 1) for v in hi], dtype=np.uint64)
            self.write(o[0], r, mask)
            return
        if signed:
            self.write(o[0], from_signed(to_signed(a, w) * to_signed(b, w), w), mask)
        else:
            self.write(o[0], mask_width(mask_width(a, w) * mask_width(b, w), w), mask)

    def op_mad(self, parts, o, mask):
        t = parts[-1]
        if t in ("f32", "f64"):
            return self.op_fma(parts, o, mask)
        w = WIDTH[t]
        a, b, c = self.read(o[1]), self.read(o[2]), self.read(o[3])
        if "wide" in parts:
            if t.startswith("s"):
                r = to_signed(a, w) * to_signed(b, w) + to_signed(c, 2 * w)
                self.write(o[0], from_signed(r, 2 * w), mask)
            else:
                self.write(o[0], mask_width(a, w) * mask_width(b, w) + c, mask)
            return
        self.write(o[0], mask_width(mask_width(a, w) * mask_width(b, w) + c, w), mask)

    def op_fma(self, parts, o, mask):
        t = parts[-1]
        a = self._float(t, self.read(o[1])).astype(np.float64)
        b = self._float(t, self.read(o[2])).astype(np.float64)
        c = self._float(t, self.read(o[3])).astype(np.float64)
        with np.errstate(all="ignore"):
            r = a * b + c  # exact in float64 for f32 operands but for the add
        r = round_f32(r, self._rounding(parts)) if t == "f32" else r
        self.write(o[0], self._float_bits(t, r), mask)

    def op_div(self, parts, o, mask):
        t = parts[-1]
        if t in ("f32", "f64"):
            return self._float_binary(parts, o, mask, lambda a, b: a / b)
        w = WIDTH[t]
        a, b = self.read(o[1]), self.read(o[2])
        if t.startswith("s"):
            sa, sb = to_signed(a, w), to_signed(b, w)
            q = np.where(sb == 0, -1, np.abs(sa) // np.where(sb == 0, 1, np.abs(sb)))
            q = np.where((sa < 0) != (sb < 0), -q, q)
            self.write(o[0], from_signed(q, w), mask)
        else:
            ua, ub = mask_width(a, w), mask_width(b, w)
            self.write(o[0], np.where(ub == 0, np.uint64((1 << w) - 1),
                                      ua // np.where(ub == 0, 1, ub)), mask)

    def op_rem(self, parts, o, mask):
        t = parts[-1]
        w = WIDTH[t]
        a, b = self.read(o[1]), self.read(o[2])
        if t.startswith("s"):
            sa, sb = to_signed(a, w), to_signed(b, w)
            r = np.abs(sa) % np.where(sb == 0, 1, np.abs(sb))
            self.write(o[0], from_signed(np.where(sa < 0, -r, r), w), mask)
        else:
            ua, ub = mask_width(a, w), mask_width(b, w)
            self.write(o[0], ua % np.where(ub == 0, 1, ub), mask)

    def _minmax(self, parts, o, mask, is_max):
        t = parts[-1]
        if t in ("f32", "f64"):
            a = self._float(t, self.read(o[1]))
            b = self._float(t, self.read(o[2]))
            if "NaN" in parts:
                r = np.maximum(a, b) if is_max else np.minimum(a, b)
            else:
                r = np.fmax(a, b) if is_max else np.fmin(a, b)
            self.write(o[0], self._float_bits(t, r), mask)
            return
        w = WIDTH[t]
        a, b = self.read(o[1]), self.read(o[2])
        if t.startswith("s"):
            sa, sb = to_signed(a, w), to_signed(b, w)
            self.write(o[0], from_signed(np.maximum(sa, sb) if is_max else np.minimum(sa, sb), w), mask)
        else:
            ua, ub = mask_width(a, w), mask_width(b, w)
            self.write(o[0], np.maximum(ua, ub) if is_max else np.minimum(ua, ub), mask)

    def op_max(self, parts, o, mask):
        self._minmax(parts, o, mask, True)

    def op_min(self, parts, o, mask):
        self._minmax(parts, o, mask, False)

    def _bitwise(self, parts, o, mask, fn):
        w = WIDTH[parts[-1]]
        if w == 1:
            a = self.read(o[1]) != 0
            b = self.read(o[2]) != 0
            self.write(o[0], fn(a, b).astype(np.uint64), mask)
            return
        self.write(o[0], mask_width(fn(self.read(o[1]), self.read(o[2])), w), mask)

    def op_and(self, parts, o, mask):
        self._bitwise(parts, o, mask, lambda a, b: a & b)

    def op_or(self, parts, o, mask):
        self._bitwise(parts, o, mask, lambda a, b: a | b)

    def op_xor(self, parts, o, mask):
        self._bitwise(parts, o, mask, lambda a, b: a ^ b)

    def op_not(self, parts, o, mask):
        w = WIDTH[parts[-1]]
        if w == 1:
            self.write(o[0], (self.read(o[1]) == 0).astype(np.uint64), mask)
            return
        self.write(o[0], mask_width(~self.read(o[1]), w), mask)

    def op_shl(self, parts, o, mask):
        w = WIDTH[parts[-1]]
        s = mask_width(self.read(o[2]), 32)
        r = np.where(s >= w, 0, self.read(o[1]) << np.minimum(s, 63))
        self.write(o[0], mask_width(r, w), mask)

    def op_shr(self, parts, o, mask):
        t = parts[-1]
        w = WIDTH[t]
        s = mask_width(self.read(o[2]), 32)
        if t.startswith("s"):
            a = to_signed(self.read(o[1]), w)
            r = a >> np.minimum(s, w - 1).astype(np.int64)
            self.write(o[0], from_signed(r, w), mask)
        else:
            a = mask_width(self.read(o[1]), w)
            self.write(o[0], np.where(s >= w, 0, a >> np.minimum(s, 63)), mask)

    def op_neg(self, parts, o, mask):
        t = parts[-1]
        if t in ("f32", "f64"):
            self.write(o[0], self._float_bits(t, -self._float(t, self.read(o[1]))), mask)
        else:
            w = WIDTH[t]
            self.write(o[0], from_signed(-to_signed(self.read(o[1]), w), w), mask)

    def op_abs(self, parts, o, mask):
        t = parts[-1]
        if t in ("f32", "f64"):
            self.write(o[0], self._float_bits(t, np.abs(self._float(t, self.read(o[1])))), mask)
        else:
            w = WIDTH[t]
            self.write(o[0], from_signed(np.abs(to_signed(self.read(o[1]), w)), w), mask)

    def _float_unary(self, parts, o, mask, fn):
        t = parts[-1]
        a = self._float(t, self.read(o[1])).astype(np.float64)
        with np.errstate(all="ignore"):
            r = fn(a)
        if t == "f32":
            r = round_f32(r, self._rounding(parts))
        self.write(o[0], self._float_bits(t, r), mask)

    def op_rcp(self, parts, o, mask):
        self._float_unary(parts, o, mask, lambda a: 1.0 / a)

    def op_sqrt(self, parts, o, mask):
        self._float_unary(parts, o, mask, np.sqrt)

    def op_rsqrt(self, parts, o, mask):
        self._float_unary(parts, o, mask, lambda a: 1.0 / np.sqrt(a))

    def op_ex2(self, parts, o, mask):
        self._float_unary(parts, o, mask, np.exp2)

    def op_lg2(self, parts, o, mask):
        self._float_unary(parts, o, mask, np.log2)

    def op_setp(self, parts, o, mask):
        cmp, t = parts[1], parts[-1]
        dests = o[0].split("|")
        if t in ("f32", "f64"):
            a, b = self._float(t, self.read(o[1])), self._float(t, self.read(o[2]))
            nan = np.isnan(a) | np.isnan(b)
            base = cmp.rstrip("u") if cmp not in ("num", "nan") else cmp
            with np.errstate(invalid="ignore"):
                r = {"eq": a == b, "ne": (a != b) & ~nan, "lt": a < b, "le": a <= b,
                     "gt": a > b, "ge": a >= b, "num": ~nan, "nan": nan}[base]
            if cmp.endswith("u") and cmp not in ("num",):
                r = r | nan
        else:
            w = WIDTH[t]
            if t.startswith("s"):
                a, b = to_signed(self.read(o[1]), w), to_signed(self.read(o[2]), w)
            else:
                a, b = mask_width(self.read(o[1]), w), mask_width(self.read(o[2]), w)
            r = {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b,
                 "ge": a >= b, "lo": a < b, "ls": a <= b, "hi": a > b, "hs": a >= b}[cmp]
        self.write(dests[0], r.astype(np.uint64), mask)
        if len(dests) > 1:
            self.write(dests[1], (~r).astype(np.uint64), mask)

    def op_selp(self, parts, o, mask):
        p = self.read(o[3]) != 0
        self.write(o[0], np.where(p, self.read(o[1]), self.read(o[2])), mask)

    def op_bfe(self, parts, o, mask):
        t = parts[-1]
        w = WIDTH[t]
        a = mask_width(self.read(o[1]), w)
        pos = mask_width(self.read(o[2]), 8)
        ln = mask_width(self.read(o[3]), 8)
        if t.startswith("s"):
            raise EmulationError("bfe.s")
        r = (a >> np.minimum(pos, 63)) & ((np.uint64(1) << np.minimum(ln, 63)) - np.uint64(1))
        r = np.where(ln >= 64, a >> np.minimum(pos, 63), r)
        self.write(o[0], np.where(pos >= w, 0, r), mask)

    def op_cvt(self, parts, o, mask):
        mods = [p for p in parts[1:] if p not in WIDTH and p not in ("bf16x2", "f16x2")]
        types = [p for p in parts[1:] if p in WIDTH or p in ("bf16x2", "f16x2")]
        dt, st = types[0], types[1]
        if dt in ("bf16x2", "f16x2"):
            a = bits_f32(self.read(o[1]))
            b = bits_f32(self.read(o[2]))
            conv = f32_to_bf16 if dt == "bf16x2" else f32_to_f16
            self.write(o[0], (conv(a) << np.uint64(16)) | conv(b), mask)
            return
        v = self.read(o[1])
        if st in ("f32", "f64", "f16", "bf16"):
            x = {"f32": lambda: bits_f32(v).astype(np.float64),
                 "f64": lambda: bits_f64(v),
                 "f16": lambda: f16_to_f32(mask_width(v, 16)).astype(np.float64),
                 "bf16": lambda: bf16_to_f32(mask_width(v, 16)).astype(np.float64)}[st]()
            if dt == "f32":
                r = round_f32(x, next((m for m in mods if m in ("rn", "rz", "rm", "rp")), "rn"))
                if "sat" in mods:
                    r = np.where(np.isnan(r), np.float32(0), np.clip(r, 0, 1)).astype(np.float32)
                self.write(o[0], f32_bits(r), mask)
            elif dt == "f64":
                self.write(o[0], f64_bits(x), mask)
            elif dt == "bf16":
                self.write(o[0], f32_to_bf16(x.astype(np.float32)), mask)
            elif dt == "f16":
                self.write(o[0], f32_to_f16(x.astype(np.float32)), mask)
            else:
                mode = next((m for m in mods if m in ("rni", "rzi", "rmi", "rpi")), "rzi")
                fn = {"rni": np.rint, "rzi": np.trunc, "rmi": np.floor, "rpi": np.ceil}[mode]
                w = WIDTH[dt]
                with np.errstate(invalid="ignore"):
                    r = np.nan_to_num(fn(x))
                if dt.startswith("s"):
                    r = np.clip(r, -(1 << (w - 1)), (1 << (w - 1)) - 1)
                    self.write(o[0], from_signed(r.astype(np.int64), w), mask)
                else:
                    r = np.clip(r, 0, (1 << w) - 1)
                    self.write(o[0], r.astype(np.uint64), mask)
            return
        w_s = WIDTH[st]
        x = to_signed(v, w_s) if st.startswith("s") else mask_width(v, w_s)
        if dt in ("f32", "f64"):
            r = x.astype(np.float64)
            self.write(o[0], f32_bits(r.astype(np.float32)) if dt == "f32" else f64_bits(r), mask)
            return
        w_d = WIDTH[dt]
        if st.startswith("s"):
            self.write(o[0], from_signed(x, w_d), mask)
        else:
            self.write(o[0], mask_width(x, w_d), mask)

    def op_bar(self, parts, o, mask):
        pass  # lockstep

    op_barrier = op_bar

    def op_membar(self, parts, o, mask):
        pass

    op_fence = op_membar

    def op_shfl(self, parts, o, mask):
        mode = parts[2]
        v = self.read(o[1]).reshape(-1, 32)
        b = mask_width(self.read(o[2]), 32).reshape(-1, 32).astype(np.int64)
        c = mask_width(self.read(o[3]), 32).reshape(-1, 32).astype(np.int64)
        lane = np.arange(32)[None, :]
        seg_mask = (c >> 8) & 0x1F
        max_lane = (lane & seg_mask) | (c & 0x1F & ~seg_mask)
        min_lane = lane & seg_mask
        if mode == "bfly":
            j = lane ^ b
            ok = j <= max_lane
        elif mode == "down":
            j = lane + b
            ok = j <= max_lane
        elif mode == "up":
            j = lane - b
            ok = j >= min_lane
        else:
            j = min_lane | (b & ~seg_mask)
            ok = j <= max_lane
        j = np.where(ok, j, lane) % 32
        r = np.take_along_axis(v, j, axis=1).reshape(-1)
        dests = o[0].split("|")
        self.write(dests[0], r, mask)
        if len(dests) > 1:
            self.write(dests[1], ok.reshape(-1).astype(np.uint64), mask)

    def op_ldmatrix(self, parts, o, mask):
        if mask is not None and not mask.all():
            raise EmulationError("predicated ldmatrix")
        count = int(next(p for p in parts if p.startswith("x"))[1:])
        trans = "trans" in parts
        dests = self.vector(o[0])
        addr = self.address(o[1])
        rows = self.load("shared", addr, 16, None)  # 8 b16 per row address
        rows = bytes_to_words(rows, 2).reshape(-1, 32, 8)  # [warp, lane, col]
        lane = np.arange(32)
        for m in range(count):
            mat = rows[:, 8 * m:8 * m + 8, :]  # [warp, row, col]
            if trans:
                lo = mat[:, 2 * (lane % 4), lane // 4]
                hi = mat[:, 2 * (lane % 4) + 1, lane // 4]
            else:
                lo = mat[:, lane // 4, 2 * (lane % 4)]
                hi = mat[:, lane // 4, 2 * (lane % 4) + 1]
            self.write(dests[m], (lo | (hi << np.uint64(16))).reshape(-1), None)

    def op_mma(self, parts, o, mask):
        if mask is not None and not mask.all():
            raise EmulationError("predicated mma")
        shape = next(p for p in parts if p.startswith("m16"))
        if shape not in ("m16n8k16", "m16n8k8") or parts[-4] != "f32" or parts[-1] != "f32":
            raise EmulationError(f"mma shape or types {'.'.join(parts)}")
        ab = parts[-3]
        k = int(shape.split("k")[1])
        d_regs, a_regs, b_regs, c_regs = [self.vector(x) for x in o]
        lane = np.arange(32)
        g, q = lane // 4, lane % 4
        warps = self.n // 32

        def halves(reg):
            v = self.read(reg).reshape(warps, 32)
            if ab == "tf32":
                return [bits_f32(v).astype(np.float64)]
            unpack = bf16_to_f32 if ab == "bf16" else f16_to_f32
            return [unpack(mask_width(v, 16)).astype(np.float64),
                    unpack(mask_width(v >> np.uint64(16), 16)).astype(np.float64)]

        A = np.zeros((warps, 16, k))
        B = np.zeros((warps, k, 8))
        if ab == "tf32":
            # m16n8k8 tf32: a0 (g, q), a1 (g+8, q), a2 (g, q+4), a3 (g+8, q+4);
            # b0 (q, g), b1 (q+4, g).
            for r, reg in enumerate(a_regs):
                A[:, g + 8 * (r % 2), q + 4 * (r // 2)] = halves(reg)[0]
            for r, reg in enumerate(b_regs):
                B[:, q + 4 * r, g] = halves(reg)[0]
        else:
            for r, reg in enumerate(a_regs):
                for h, vals in enumerate(halves(reg)):
                    A[:, g + 8 * (r % 2), 2 * q + h + 8 * (r // 2)] = vals
            for r, reg in enumerate(b_regs):
                for h, vals in enumerate(halves(reg)):
                    B[:, 2 * q + h + 8 * r, g] = vals
        C = np.zeros((warps, 16, 8))
        for r, reg in enumerate(c_regs):
            C[:, g + 8 * (r // 2), 2 * q + r % 2] = bits_f32(
                self.read(reg).reshape(warps, 32)).astype(np.float64)
        D = (A @ B + C).astype(np.float32)
        for r, reg in enumerate(d_regs):
            self.write(reg, f32_bits(D[:, g + 8 * (r // 2), 2 * q + r % 2]).reshape(-1), None)

    def op_cp(self, parts, o, mask):
        if parts[1] != "async":
            raise EmulationError("cp." + parts[1])
        if parts[2] == "commit_group":
            self.groups.append(self.pending)
            self.pending = []
            return
        if parts[2] == "wait_group":
            keep = int(o[0])
            while len(self.groups) > keep:
                for dst, data, sel in self.groups.pop(0):
                    self.store("shared", dst, data, sel)
            return
        if parts[2] == "wait_all":
            self.groups.append(self.pending)
            self.pending = []
            while self.groups:
                for dst, data, sel in self.groups.pop(0):
                    self.store("shared", dst, data, sel)
            return
        dst = self.address(o[0])
        src = self.address(o[1])
        size = int(o[2])
        src_size = (mask_width(self.read(o[3]), 32).astype(np.int64) if len(o) > 3
                    else np.full(self.n, size))
        sel = mask if mask is not None else np.ones(self.n, bool)
        reads = sel & (src_size > 0)
        data = np.zeros((self.n, size), np.uint8)
        if reads.any():
            data[reads] = self.load("global", src, size, reads)[reads]
        keep = np.arange(size)[None, :] < src_size[:, None]
        data = np.where(keep, data, 0).astype(np.uint8)
        self.pending.append((dst, data, sel.copy()))


# --------------------------------------------------------------------------
# Driver: attn-gpu-run's interface


def run_function(descriptor_path, function, inputs):
    with open(descriptor_path) as f:
        desc = json.load(f)
    binary = desc["binary"]
    if binary["format"] != "ptx":
        raise EmulationError(f"the emulator reads PTX, not {binary['format']}")
    path = binary["file"]
    if not os.path.isabs(path):
        path = os.path.join(os.path.dirname(os.path.abspath(descriptor_path)), path)
    with open(path) as f:
        kernels = parse_ptx(f.read())
    fn = next((x for x in desc["functions"] if x["name"] == function), None)
    if fn is None:
        raise EmulationError(f"no function {function} in {descriptor_path}")
    memory = Memory()
    arrays, outputs = [], []
    for buf in fn["buffers"]:
        nbytes = buf["bytes"]
        if buf["kind"] == "input":
            src = inputs[buf["index"]]
            data = np.ascontiguousarray(src).view(np.uint8).reshape(-1)
            if data.size != nbytes:
                raise EmulationError(f"input {buf['index']}: {data.size} bytes, "
                                     f"the descriptor says {nbytes}")
            arr = data.copy()
        else:
            arr = np.full(nbytes, 0xFF, np.uint8)
            if buf["kind"] == "output":
                outputs.append((buf["index"], buf, arr))
        arrays.append(memory.add(arr))
    for launch in fn["launches"]:
        kernel = kernels.get(launch["kernel"])
        if kernel is None:
            raise EmulationError(f"no kernel {launch['kernel']} in the PTX")
        params = {name: arrays[a] for name, a in zip(kernel.params, launch["args"])}
        grid, block = launch["grid"], launch["block"]
        for z in range(grid[2]):
            for y in range(grid[1]):
                for x in range(grid[0]):
                    Block(kernel, memory, params, grid, block, (x, y, z),
                          launch["shared_memory_bytes"]).run()
    result = []
    for index, buf, arr in sorted(outputs, key=lambda t: t[0]):
        result.append(np.frombuffer(arr.tobytes(), dtype=np.dtype(buf["dtype"]))
                      .reshape(buf["shape"]))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("descriptor")
    parser.add_argument("--function", default="main")
    parser.add_argument("--input", action="append", default=[])
    parser.add_argument("--output", action="append", default=[])
    parser.add_argument("--benchmark", type=int, default=0)
    opts = parser.parse_args()
    try:
        inputs = [np.load(p.lstrip("@")) for p in opts.input]
        results = run_function(opts.descriptor, opts.function, inputs)
    except (EmulationError, OSError, ValueError, KeyError) as e:
        print(f"ptx_emulator: error: {e}", file=sys.stderr)
        return 1
    if len(opts.output) != len(results):
        print(f"ptx_emulator: error: {len(results)} outputs, {len(opts.output)} "
              "--output given", file=sys.stderr)
        return 1
    for path, arr in zip(opts.output, results):
        np.save(path.lstrip("@"), arr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
