// RUN: attn-opt %s --split-input-file --attn-gpu-configure-flash | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-gpu-configure-flash="warps=2 key-tile=32 stages=3" | FileCheck %s --check-prefix=SET
// RUN: attn-opt %s --split-input-file --attn-gpu-configure-flash="remarks=1" --verify-diagnostics | FileCheck %s

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// Head dim 128, 2 stages: 64-key tiles of K and V need 64 KiB, 32-key
// tiles 32 KiB; 100 query rows fill 4 warps. 4 blocks leave the GPU idle:
// the keys are split, as far as 4 key tiles a split allows (10 tiles: 2).
// CHECK-LABEL: func @prefill
// CHECK: attn.attention
// CHECK-SAME: lowering_config = #attn_codegen.gpu_flash<warps = 4, value_split = 1, key_tile = 32, stages = 2, kv_splits = 2>
// SET-LABEL: func @prefill
// SET: attn.attention
// SET-SAME: lowering_config = #attn_codegen.gpu_flash<warps = 2, value_split = 1, key_tile = 32, stages = 3, kv_splits = 2>
func.func @prefill(%q: tensor<1x2x100x128xbf16>, %k: tensor<1x2x300x128xbf16>,
                   %v: tensor<1x2x300x128xbf16>) -> tensor<1x2x100x128xf32> {
  %init = tensor.empty() : tensor<1x2x100x128xf32>
  %o = attn.attention queries(%q : tensor<1x2x100x128xbf16>) keys(%k : tensor<1x2x300x128xbf16>)
         values(%v : tensor<1x2x300x128xbf16>) outs(%init : tensor<1x2x100x128xf32>)
         scale(0.125 : f32) masking(causal) indexing_maps = #bhsd -> tensor<1x2x100x128xf32>
  return %o : tensor<1x2x100x128xf32>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// GQA decode: 4 query heads per KV head are packed into one warp's rows;
// head dim 64 leaves room for 64-key tiles; 8 key tiles make 2 splits.
// CHECK-LABEL: func @decode
// CHECK: attn.attention
// CHECK-SAME: lowering_config = #attn_codegen.gpu_flash<warps = 1, value_split = 1, key_tile = 64, stages = 2, kv_splits = 2>
func.func @decode(%q: tensor<1x8x1x64xf16>, %k: tensor<1x2x512x64xf16>,
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

// A prefill of 16 heads by 4096 queries: 1024 blocks, no split.
// CHECK-LABEL: func @large_prefill
// CHECK: attn.attention
// CHECK-SAME: lowering_config = #attn_codegen.gpu_flash<warps = 4, value_split = 1, key_tile = 32, stages = 2, kv_splits = 1>
func.func @large_prefill(%q: tensor<1x16x4096x128xbf16>, %k: tensor<1x16x4096x128xbf16>,
                         %v: tensor<1x16x4096x128xbf16>) -> tensor<1x16x4096x128xbf16> {
  %init = tensor.empty() : tensor<1x16x4096x128xbf16>
  %o = attn.attention queries(%q : tensor<1x16x4096x128xbf16>) keys(%k : tensor<1x16x4096x128xbf16>)
         values(%v : tensor<1x16x4096x128xbf16>) outs(%init : tensor<1x16x4096x128xbf16>)
         scale(0.08838834764831845 : f32) masking(causal) indexing_maps = #bhsd
         -> tensor<1x16x4096x128xbf16>
  return %o : tensor<1x16x4096x128xbf16>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// f32 inputs stay on the portable path.
// CHECK-LABEL: func @f32_inputs
// CHECK-NOT: lowering_config
func.func @f32_inputs(%q: tensor<1x2x4x64xf32>, %k: tensor<1x2x8x64xf32>,
                      %v: tensor<1x2x8x64xf32>) -> tensor<1x2x4x64xf32> {
  %init = tensor.empty() : tensor<1x2x4x64xf32>
  // expected-remark @below {{portable GPU path (not the tensor-core kernel): inputs of type f32}}
  %o = attn.attention queries(%q : tensor<1x2x4x64xf32>) keys(%k : tensor<1x2x8x64xf32>)
         values(%v : tensor<1x2x8x64xf32>) outs(%init : tensor<1x2x4x64xf32>)
         scale(0.125 : f32) indexing_maps = #bhsd -> tensor<1x2x4x64xf32>
  return %o : tensor<1x2x4x64xf32>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

// A head dimension that is not a multiple of 16 stays on the portable path.
// CHECK-LABEL: func @odd_head_dim
// CHECK-NOT: lowering_config
func.func @odd_head_dim(%q: tensor<1x2x4x40xbf16>, %k: tensor<1x2x8x40xbf16>,
                        %v: tensor<1x2x8x64xbf16>) -> tensor<1x2x4x64xf32> {
  %init = tensor.empty() : tensor<1x2x4x64xf32>
  // expected-remark @below {{a head dimension of 40 (the kernel takes multiples of 16)}}
  %o = attn.attention queries(%q : tensor<1x2x4x40xbf16>) keys(%k : tensor<1x2x8x40xbf16>)
         values(%v : tensor<1x2x8x64xbf16>) outs(%init : tensor<1x2x4x64xf32>)
         scale(0.125 : f32) indexing_maps = #bhsd -> tensor<1x2x4x64xf32>
  return %o : tensor<1x2x4x64xf32>
}

// -----

// MLA absorbed decode (16 heads on one latent of 512 with a RoPE key of 64):
// 576 contracted elements stage the queries in shared memory (one row group
// a block), 512 value columns split among 4 warps, the latent's tiles serve
// as the value's (2 stages of 32 keys by 576 and 16 query rows: 90 KiB).
// CHECK-LABEL: func @mla
// CHECK: attn.attention
// CHECK-SAME: lowering_config = #attn_codegen.gpu_flash<warps = 4, value_split = 4, key_tile = 32, stages = 2, kv_splits = 3>
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
         -> tensor<1x16x1x512xf32>
  return %o : tensor<1x16x1x512xf32>
}
