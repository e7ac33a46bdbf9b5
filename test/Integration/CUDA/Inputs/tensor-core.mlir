// bf16 and f16 attention that the tensor-core kernel takes, at sizes that
// exercise its edges: rows that do not fill a block, keys that do not fill a
// tile, causal with S < T, a sliding window, kv_lengths with a batch whose
// rows see no key, and query heads packed into a block's rows (GQA, MQA).

#bhsd = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
         affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]

func.func @prefill_causal(%q: tensor<1x2x100x64xbf16>, %k: tensor<1x2x300x64xbf16>,
                          %v: tensor<1x2x300x64xbf16>) -> tensor<1x2x100x64xf32> {
  %init = tensor.empty() : tensor<1x2x100x64xf32>
  %o = attn.attention queries(%q : tensor<1x2x100x64xbf16>) keys(%k : tensor<1x2x300x64xbf16>)
         values(%v : tensor<1x2x300x64xbf16>) outs(%init : tensor<1x2x100x64xf32>)
         scale(0.125 : f32) masking(causal) indexing_maps = #bhsd -> tensor<1x2x100x64xf32>
  return %o : tensor<1x2x100x64xf32>
}

func.func @gqa_decode(%q: tensor<2x8x1x128xbf16>, %k: tensor<2x2x100x128xbf16>,
                      %v: tensor<2x2x100x128xbf16>) -> tensor<2x8x1x128xf32> {
  %init = tensor.empty() : tensor<2x8x1x128xf32>
  %o = attn.attention queries(%q : tensor<2x8x1x128xbf16>) keys(%k : tensor<2x2x100x128xbf16>)
         values(%v : tensor<2x2x100x128xbf16>) outs(%init : tensor<2x8x1x128xf32>)
         scale(0.08838834764831845 : f32) indexing_maps = #bhsd -> tensor<2x8x1x128xf32>
  return %o : tensor<2x8x1x128xf32>
}

func.func @window(%q: tensor<1x2x70x64xf16>, %k: tensor<1x2x70x64xf16>,
                  %v: tensor<1x2x70x64xf16>) -> tensor<1x2x70x64xf16> {
  %init = tensor.empty() : tensor<1x2x70x64xf16>
  %o = attn.attention queries(%q : tensor<1x2x70x64xf16>) keys(%k : tensor<1x2x70x64xf16>)
         values(%v : tensor<1x2x70x64xf16>) outs(%init : tensor<1x2x70x64xf16>)
         scale(0.125 : f32) masking(sliding_window, window = 9) indexing_maps = #bhsd
         -> tensor<1x2x70x64xf16>
  return %o : tensor<1x2x70x64xf16>
}

func.func @lengths(%q: tensor<2x2x5x64xbf16>, %k: tensor<2x2x80x64xbf16>,
                   %v: tensor<2x2x80x64xbf16>, %len: tensor<2xi32>) -> tensor<2x2x5x64xf32> {
  %init = tensor.empty() : tensor<2x2x5x64xf32>
  %o = attn.attention queries(%q : tensor<2x2x5x64xbf16>) keys(%k : tensor<2x2x80x64xbf16>)
         values(%v : tensor<2x2x80x64xbf16>) kv_lengths(%len : tensor<2xi32>)
         outs(%init : tensor<2x2x5x64xf32>)
         scale(0.125 : f32) masking(causal)
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, e) -> (b)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<2x2x5x64xf32>
  return %o : tensor<2x2x5x64xf32>
}

func.func @mqa(%q: tensor<1x16x3x64xbf16>, %k: tensor<1x1x200x64xbf16>,
               %v: tensor<1x1x200x64xbf16>) -> tensor<1x16x3x64xbf16> {
  %init = tensor.empty() : tensor<1x16x3x64xbf16>
  %o = attn.attention queries(%q : tensor<1x16x3x64xbf16>) keys(%k : tensor<1x1x200x64xbf16>)
         values(%v : tensor<1x1x200x64xbf16>) outs(%init : tensor<1x16x3x64xbf16>)
         scale(0.125 : f32) masking(causal) indexing_maps = #bhsd -> tensor<1x16x3x64xbf16>
  return %o : tensor<1x16x3x64xbf16>
}

// Split-KV, set by hand: 3 splits of 1000 keys in 32-key tiles (shares of
// 11, 11 and 10 tiles), kv_lengths 0 and 700 (batch 0: every split empty;
// batch 1: the last split empty), merged by log-sum-exp after the kernel.
func.func @split_decode(%q: tensor<2x8x1x64xbf16>, %k: tensor<2x2x1000x64xbf16>,
                        %v: tensor<2x2x1000x64xbf16>, %len: tensor<2xi32>)
    -> tensor<2x8x1x64xf32> {
  %init = tensor.empty() : tensor<2x8x1x64xf32>
  %o = attn.attention queries(%q : tensor<2x8x1x64xbf16>) keys(%k : tensor<2x2x1000x64xbf16>)
         values(%v : tensor<2x2x1000x64xbf16>) kv_lengths(%len : tensor<2xi32>)
         outs(%init : tensor<2x8x1x64xf32>)
         scale(0.125 : f32) masking(causal)
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, e) -> (b)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         {lowering_config = #attn_codegen.gpu_flash<warps = 1, value_split = 1, key_tile = 32, stages = 2, kv_splits = 3>}
         -> tensor<2x8x1x64xf32>
  return %o : tensor<2x8x1x64xf32>
}

// Grouped-tied attention: the key's first part is a slice of the tied
// vectors (read in place), the RoPE key is shared by all heads (extent 1)
// while the tied vectors have one per group: heads are not packed, each
// operand is read at its own head index.
func.func @grouped_tied(%q_nope: tensor<1x2x8x32xbf16>, %q_rope: tensor<1x2x8x32xbf16>,
                        %kv: tensor<1x100x2x64xbf16>, %k_rope: tensor<1x100x32xbf16>)
    -> tensor<1x2x8x64xf32> {
  %k_nope = tensor.extract_slice %kv[0, 0, 0, 0] [1, 100, 2, 32] [1, 1, 1, 1]
      : tensor<1x100x2x64xbf16> to tensor<1x100x2x32xbf16>
  %k_rope_shared = tensor.expand_shape %k_rope [[0], [1], [2, 3]] output_shape [1, 100, 1, 32]
      : tensor<1x100x32xbf16> into tensor<1x100x1x32xbf16>
  %init = tensor.empty() : tensor<1x2x8x64xf32>
  %o = attn.attention
         queries(%q_nope, %q_rope : tensor<1x2x8x32xbf16>, tensor<1x2x8x32xbf16>)
         keys(%k_nope, %k_rope_shared : tensor<1x100x2x32xbf16>, tensor<1x100x1x32xbf16>)
         values(%kv : tensor<1x100x2x64xbf16>)
         outs(%init : tensor<1x2x8x64xf32>)
         scale(0.125 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, d, r, e) -> (b, s, h, d)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, s, h, r)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, t, h, d)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, t, h, r)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, t, h, e)>,
           affine_map<(b, h, s, t, d, r, e) -> (b, s, h, e)>]
         -> tensor<1x2x8x64xf32>
  return %o : tensor<1x2x8x64xf32>
}
