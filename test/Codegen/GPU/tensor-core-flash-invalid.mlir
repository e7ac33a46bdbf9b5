// RUN: attn-opt %s --split-input-file --attn-gpu-tensor-core-flash --verify-diagnostics

// Configurations set by hand are checked against what the kernel can do.

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

func.func @shared_memory(%q: tensor<1x2x64x128xbf16>, %k: tensor<1x2x512x128xbf16>,
                         %v: tensor<1x2x512x128xbf16>) -> tensor<1x2x64x128xf32> {
  %init = tensor.empty() : tensor<1x2x64x128xf32>
  // expected-error @below {{the tensor-core kernel's configuration needs 262144 bytes of shared memory, more than 98304}}
  %o = attn.attention queries(%q : tensor<1x2x64x128xbf16>) keys(%k : tensor<1x2x512x128xbf16>)
         values(%v : tensor<1x2x512x128xbf16>) outs(%init : tensor<1x2x64x128xf32>)
         scale(0.125 : f32) indexing_maps = #bhsd
         {lowering_config = #attn_codegen.gpu_flash<warps = 4, value_split = 1, key_tile = 128, stages = 4, kv_splits = 1>}
         -> tensor<1x2x64x128xf32>
  return %o : tensor<1x2x64x128xf32>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

func.func @value_split(%q: tensor<1x2x64x64xbf16>, %k: tensor<1x2x512x64xbf16>,
                       %v: tensor<1x2x512x48xbf16>) -> tensor<1x2x64x48xf32> {
  %init = tensor.empty() : tensor<1x2x64x48xf32>
  // expected-error @below {{value_split = 2 does not split the value's 48 columns into multiples of 16}}
  %o = attn.attention queries(%q : tensor<1x2x64x64xbf16>) keys(%k : tensor<1x2x512x64xbf16>)
         values(%v : tensor<1x2x512x48xbf16>) outs(%init : tensor<1x2x64x48xf32>)
         scale(0.125 : f32) indexing_maps = #bhsd
         {lowering_config = #attn_codegen.gpu_flash<warps = 2, value_split = 2, key_tile = 32, stages = 2, kv_splits = 1>}
         -> tensor<1x2x64x48xf32>
  return %o : tensor<1x2x64x48xf32>
}

// -----

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

func.func @f32(%q: tensor<1x2x64x64xf32>, %k: tensor<1x2x512x64xf32>,
               %v: tensor<1x2x512x64xf32>) -> tensor<1x2x64x64xf32> {
  %init = tensor.empty() : tensor<1x2x64x64xf32>
  // expected-error @below {{cannot take the tensor-core kernel: inputs of type f32}}
  %o = attn.attention queries(%q : tensor<1x2x64x64xf32>) keys(%k : tensor<1x2x512x64xf32>)
         values(%v : tensor<1x2x512x64xf32>) outs(%init : tensor<1x2x64x64xf32>)
         scale(0.125 : f32) indexing_maps = #bhsd
         {lowering_config = #attn_codegen.gpu_flash<warps = 2, value_split = 1, key_tile = 32, stages = 2, kv_splits = 1>}
         -> tensor<1x2x64x64xf32>
  return %o : tensor<1x2x64x64xf32>
}
