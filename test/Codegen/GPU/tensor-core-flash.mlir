// RUN: attn-opt %s --split-input-file --attn-gpu-tensor-core-flash | FileCheck %s

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// A causal bf16 prefill: 2 row tiles of 64 rows by 2 heads, 128 threads,
// K and V tiles (2 stages of 32 keys by 64) in 16 KiB of dynamic shared
// memory. Q K^T and P V on mma.sync (4 head chunks by 2 key pairs by 2, and
// 2 key chunks by 4 value pairs by 2: 16 each), K by ldmatrix, V by
// ldmatrix.trans, copies ahead by cp.async with zero fill past the keys.
// CHECK-LABEL: func @prefill
// CHECK-DAG: %[[Q:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x2x100x64xbf16> to memref<1x2x100x64xbf16>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<1x2x100x64xf32>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c2{{(_[0-9]+)?}}, {{.*}} = %c2{{(_[0-9]+)?}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c128, {{.*}}) dynamic_shared_memory_size %c16384_i32
// CHECK: gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<2x32x64xbf16, #gpu.address_space<workgroup>>
// CHECK: vector.load %[[Q]]{{.*}} : memref<1x2x100x64xbf16>, vector<2xbf16>
// CHECK: nvgpu.device_async_copy {{.*}}, 8, %{{.*}} {bypassL1} : memref<1x2x300x64xbf16> to memref<2x32x64xbf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_create_group
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// CHECK: gpu.barrier
// CHECK-COUNT-16: nvvm.mma.sync
// CHECK: gpu.shuffle  xor
// CHECK: math.exp2
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK-COUNT-16: nvvm.mma.sync
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: memref.store {{.*}}, %[[OUT]]
// CHECK: gpu.terminator
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
func.func @prefill(%q: tensor<1x2x100x64xbf16>, %k: tensor<1x2x300x64xbf16>,
                   %v: tensor<1x2x300x64xbf16>) -> tensor<1x2x100x64xf32> {
  %init = tensor.empty() : tensor<1x2x100x64xf32>
  %o = attn.attention queries(%q : tensor<1x2x100x64xbf16>) keys(%k : tensor<1x2x300x64xbf16>)
         values(%v : tensor<1x2x300x64xbf16>) outs(%init : tensor<1x2x100x64xf32>)
         scale(0.125 : f32) masking(causal) indexing_maps = #bhsd
         {lowering_config = #attn_codegen.gpu_flash<warps = 4, value_split = 1, key_tile = 32, stages = 2, kv_splits = 1>}
         -> tensor<1x2x100x64xf32>
  return %o : tensor<1x2x100x64xf32>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// GQA decode: the grid walks the 2 KV heads (one block each), the 4 query
// heads of each are the rows of one warp.
// CHECK-LABEL: func @decode
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{(_[0-9]+)?}}, {{.*}} = %c2{{(_[0-9]+)?}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c32, {{.*}}) dynamic_shared_memory_size %c32768_i32
// CHECK-NOT: attn.attention
func.func @decode(%q: tensor<1x8x1x64xf16>, %k: tensor<1x2x512x64xf16>,
                  %v: tensor<1x2x512x64xf16>) -> tensor<1x8x1x64xf16> {
  %init = tensor.empty() : tensor<1x8x1x64xf16>
  %o = attn.attention queries(%q : tensor<1x8x1x64xf16>) keys(%k : tensor<1x2x512x64xf16>)
         values(%v : tensor<1x2x512x64xf16>) outs(%init : tensor<1x8x1x64xf16>)
         scale(0.125 : f32) indexing_maps = #bhsd
         {lowering_config = #attn_codegen.gpu_flash<warps = 1, value_split = 1, key_tile = 64, stages = 2, kv_splits = 1>}
         -> tensor<1x8x1x64xf16>
  return %o : tensor<1x8x1x64xf16>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// Ops without a configuration are left alone.
// CHECK-LABEL: func @unconfigured
// CHECK: attn.attention
// CHECK-NOT: gpu.launch
func.func @unconfigured(%q: tensor<1x8x1x64xf16>, %k: tensor<1x2x512x64xf16>,
                        %v: tensor<1x2x512x64xf16>) -> tensor<1x8x1x64xf16> {
  %init = tensor.empty() : tensor<1x8x1x64xf16>
  %o = attn.attention queries(%q : tensor<1x8x1x64xf16>) keys(%k : tensor<1x2x512x64xf16>)
         values(%v : tensor<1x2x512x64xf16>) outs(%init : tensor<1x8x1x64xf16>)
         scale(0.125 : f32) indexing_maps = #bhsd -> tensor<1x8x1x64xf16>
  return %o : tensor<1x8x1x64xf16>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// Split-KV: 4 splits along the grid's z, each writing its partial output
// and log-sum-exp (f32, splits last); linalg on tensors merges them.
// CHECK-LABEL: func @split
// CHECK-DAG: %[[PART:.*]] = memref.alloc() : memref<1x8x1x64x4xf32>
// CHECK-DAG: %[[LSE:.*]] = memref.alloc() : memref<1x8x1x4xf32>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}, {{.*}}, {{.*}} = %c4{{(_[0-9]+)?}})
// CHECK: math.log2
// CHECK: memref.store {{.*}}, %[[LSE]]
// CHECK: gpu.terminator
// CHECK-DAG: bufferization.to_tensor %[[PART]]
// CHECK-DAG: bufferization.to_tensor %[[LSE]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: math.exp
// CHECK: %[[OUT:.*]] = linalg.generic
// CHECK: return %[[OUT]]
func.func @split(%q: tensor<1x8x1x64xbf16>, %k: tensor<1x2x4096x64xbf16>,
                 %v: tensor<1x2x4096x64xbf16>) -> tensor<1x8x1x64xbf16> {
  %init = tensor.empty() : tensor<1x8x1x64xbf16>
  %o = attn.attention queries(%q : tensor<1x8x1x64xbf16>) keys(%k : tensor<1x2x4096x64xbf16>)
         values(%v : tensor<1x2x4096x64xbf16>) outs(%init : tensor<1x8x1x64xbf16>)
         scale(0.125 : f32) indexing_maps = #bhsd
         {lowering_config = #attn_codegen.gpu_flash<warps = 1, value_split = 1, key_tile = 64, stages = 2, kv_splits = 4>}
         -> tensor<1x8x1x64xbf16>
  return %o : tensor<1x8x1x64xbf16>
}

// -----

// MLA: the queries (512 + 64 wide) are copied once into shared memory and
// read by ldmatrix per chunk; the latent's tiles are also the value's (no
// copy of its own: views for the 2 keys and the 2 queries, 2 x 32 x
// (512 + 64) + 16 x 576 bf16 = 90 KiB); each of 4 warps accumulates 128 of
// the 512 columns.
// CHECK-LABEL: func @mla
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128{{(_[0-9]+)?}}, {{.*}}) dynamic_shared_memory_size %c92160_i32
// CHECK-COUNT-4: memref.view
// CHECK-NOT: memref.view
// CHECK: nvgpu.device_async_copy {{.*}} : memref<1x16x1x512xbf16> to memref<16x512xbf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// CHECK: scf.for
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false} : memref<16x512xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true} : memref<2x32x512xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
func.func @mla(%ql: tensor<1x16x1x512xbf16>, %qr: tensor<1x16x1x64xbf16>,
               %lat: tensor<1x1x400x512xbf16>, %rope: tensor<1x1x400x64xbf16>)
    -> tensor<1x16x1x512xf32> {
  %init = tensor.empty() : tensor<1x16x1x512xf32>
  %o = attn.attention queries(%ql, %qr : tensor<1x16x1x512xbf16>, tensor<1x16x1x64xbf16>)
         keys(%lat, %rope : tensor<1x1x400x512xbf16>, tensor<1x1x400x64xbf16>)
         values(%lat : tensor<1x1x400x512xbf16>) outs(%init : tensor<1x16x1x512xf32>)
         scale(0.0416 : f32)
         indexing_maps = [affine_map<(b, h, s, t, d, r, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, s, r)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, t, r)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, s, e)>]
         {lowering_config = #attn_codegen.gpu_flash<warps = 4, value_split = 4, key_tile = 32, stages = 2, kv_splits = 1>}
         -> tensor<1x16x1x512xf32>
  return %o : tensor<1x16x1x512xf32>
}
