// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>

// CHECK-LABEL: func.func @mha
// CHECK: attn.attention queries(%{{.*}} : tensor<2x4x16x32xf32>) keys(%{{.*}} : tensor<2x4x16x32xf32>) values(%{{.*}} : tensor<2x4x16x32xf32>) outs(%{{.*}} : tensor<2x4x16x32xf32>) scale(1.250000e-01 : f32) indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}] -> tensor<2x4x16x32xf32>
func.func @mha(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x16x32xf32>,
               %v: tensor<2x4x16x32xf32>, %o: tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32> {
  %r = attn.attention queries(%q : tensor<2x4x16x32xf32>) keys(%k : tensor<2x4x16x32xf32>)
         values(%v : tensor<2x4x16x32xf32>) outs(%o : tensor<2x4x16x32xf32>)
         scale(0.125 : f32) indexing_maps = [#q, #k, #v, #o] -> tensor<2x4x16x32xf32>
  return %r : tensor<2x4x16x32xf32>
}

// GQA: 8 query heads share 2 KV heads; MQA: all share 1.
// CHECK-LABEL: func.func @gqa_and_mqa
// CHECK: keys(%{{.*}} : tensor<1x2x64x32xf32>) values(%{{.*}} : tensor<1x2x64x32xf32>)
// CHECK: keys(%{{.*}} : tensor<1x1x64x32xf32>) values(%{{.*}} : tensor<1x1x64x32xf32>)
func.func @gqa_and_mqa(%q: tensor<1x8x1x32xf32>, %k: tensor<1x2x64x32xf32>, %v: tensor<1x2x64x32xf32>,
                       %k1: tensor<1x1x64x32xf32>, %v1: tensor<1x1x64x32xf32>,
                       %o: tensor<1x8x1x32xf32>) -> (tensor<1x8x1x32xf32>, tensor<1x8x1x32xf32>) {
  %r = attn.attention queries(%q : tensor<1x8x1x32xf32>) keys(%k : tensor<1x2x64x32xf32>)
         values(%v : tensor<1x2x64x32xf32>) outs(%o : tensor<1x8x1x32xf32>)
         scale(0.17 : f32) indexing_maps = [#q, #k, #v, #o] -> tensor<1x8x1x32xf32>
  %m = attn.attention queries(%q : tensor<1x8x1x32xf32>) keys(%k1 : tensor<1x1x64x32xf32>)
         values(%v1 : tensor<1x1x64x32xf32>) outs(%o : tensor<1x8x1x32xf32>)
         scale(0.17 : f32) indexing_maps = [#q, #k, #v, #o] -> tensor<1x8x1x32xf32>
  return %r, %m : tensor<1x8x1x32xf32>, tensor<1x8x1x32xf32>
}

// Masks: causal, sliding window with kv_lengths, additive and boolean tensors.
// CHECK-LABEL: func.func @masks
// CHECK: scale(1.250000e-01 : f32) masking(causal) indexing_maps
// CHECK: kv_lengths(%{{.*}} : tensor<2xi32>) outs({{.*}}) scale(1.250000e-01 : f32) masking(sliding_window, window = 4) indexing_maps
// CHECK: mask(%{{.*}} : tensor<2x4x16x16xf32>) outs
// CHECK: mask(%{{.*}} : tensor<2x1x16x16xi1>) kv_lengths(%{{.*}} : tensor<2xi64>) outs
func.func @masks(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x16x32xf32>, %v: tensor<2x4x16x32xf32>,
                 %o: tensor<2x4x16x32xf32>, %len: tensor<2xi32>, %len64: tensor<2xi64>,
                 %add: tensor<2x4x16x16xf32>, %keep: tensor<2x1x16x16xi1>) -> tensor<2x4x16x32xf32> {
  %0 = attn.attention queries(%q : tensor<2x4x16x32xf32>) keys(%k : tensor<2x4x16x32xf32>)
         values(%v : tensor<2x4x16x32xf32>) outs(%o : tensor<2x4x16x32xf32>)
         scale(0.125 : f32) masking(causal) indexing_maps = [#q, #k, #v, #o] -> tensor<2x4x16x32xf32>
  %1 = attn.attention queries(%q : tensor<2x4x16x32xf32>) keys(%k : tensor<2x4x16x32xf32>)
         values(%v : tensor<2x4x16x32xf32>) kv_lengths(%len : tensor<2xi32>) outs(%0 : tensor<2x4x16x32xf32>)
         scale(0.125 : f32) masking(sliding_window, window = 4)
         indexing_maps = [#q, #k, #v, affine_map<(b, h, s, t, d, e) -> (b)>, #o] -> tensor<2x4x16x32xf32>
  %2 = attn.attention queries(%q : tensor<2x4x16x32xf32>) keys(%k : tensor<2x4x16x32xf32>)
         values(%v : tensor<2x4x16x32xf32>) mask(%add : tensor<2x4x16x16xf32>) outs(%1 : tensor<2x4x16x32xf32>)
         scale(0.125 : f32)
         indexing_maps = [#q, #k, #v, affine_map<(b, h, s, t, d, e) -> (b, h, s, t)>, #o] -> tensor<2x4x16x32xf32>
  // The boolean mask is shared by all heads (extent 1 along h).
  %3 = attn.attention queries(%q : tensor<2x4x16x32xf32>) keys(%k : tensor<2x4x16x32xf32>)
         values(%v : tensor<2x4x16x32xf32>) mask(%keep : tensor<2x1x16x16xi1>) kv_lengths(%len64 : tensor<2xi64>)
         outs(%2 : tensor<2x4x16x32xf32>) scale(0.125 : f32)
         indexing_maps = [#q, #k, #v, affine_map<(b, h, s, t, d, e) -> (b, h, s, t)>,
                          affine_map<(b, h, s, t, d, e) -> (b)>, #o] -> tensor<2x4x16x32xf32>
  return %3 : tensor<2x4x16x32xf32>
}

// MLA absorbed: two score contractions (latent c and RoPE r) over [B, T, *]
// keys shared by all heads; the latent is also the value. Layout [B, S, H, *]
// with the query position innermost among the M dims.
// CHECK-LABEL: func.func @mla_absorbed
// CHECK: queries(%{{.*}}, %{{.*}} : tensor<1x2x16x512xbf16>, tensor<1x2x16x64xbf16>) keys(%[[C:.*]], %{{.*}} : tensor<1x128x512xbf16>, tensor<1x128x64xbf16>) values(%[[C]] : tensor<1x128x512xbf16>)
// CHECK-SAME: masking(causal)
func.func @mla_absorbed(%qa: tensor<1x2x16x512xbf16>, %qr: tensor<1x2x16x64xbf16>,
                        %c: tensor<1x128x512xbf16>, %kr: tensor<1x128x64xbf16>,
                        %o: tensor<1x2x16x512xf32>) -> tensor<1x2x16x512xf32> {
  %r = attn.attention queries(%qa, %qr : tensor<1x2x16x512xbf16>, tensor<1x2x16x64xbf16>)
         keys(%c, %kr : tensor<1x128x512xbf16>, tensor<1x128x64xbf16>)
         values(%c : tensor<1x128x512xbf16>) outs(%o : tensor<1x2x16x512xf32>)
         scale(0.0721687824 : f32) masking(causal)
         indexing_maps = [
           affine_map<(b, h, s, t, c, r, n) -> (b, s, h, c)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, s, h, r)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, t, c)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, t, r)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, t, n)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, s, h, n)>]
         -> tensor<1x2x16x512xf32>
  return %r : tensor<1x2x16x512xf32>
}

// One score map shared by several value heads: the value-head dim j is an N
// dimension (GTA-style).
// CHECK-LABEL: func.func @shared_score_map
// CHECK: values(%{{.*}} : tensor<1x64x2x16xf16>) outs(%{{.*}} : tensor<1x1x2x16xf16>)
func.func @shared_score_map(%q: tensor<1x1x32xf16>, %k: tensor<1x64x32xf16>,
                            %v: tensor<1x64x2x16xf16>, %o: tensor<1x1x2x16xf16>) -> tensor<1x1x2x16xf16> {
  %r = attn.attention queries(%q : tensor<1x1x32xf16>) keys(%k : tensor<1x64x32xf16>)
         values(%v : tensor<1x64x2x16xf16>) outs(%o : tensor<1x1x2x16xf16>)
         scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, s, t, d, j, e) -> (b, s, d)>,
           affine_map<(b, s, t, d, j, e) -> (b, t, d)>,
           affine_map<(b, s, t, d, j, e) -> (b, t, j, e)>,
           affine_map<(b, s, t, d, j, e) -> (b, s, j, e)>]
         -> tensor<1x1x2x16xf16>
  return %r : tensor<1x1x2x16xf16>
}

// CHECK-LABEL: func.func @latent_attention
// CHECK: attn.latent_attention queries(%{{.*}}, %{{.*}} : tensor<1x1x16x128xbf16>, tensor<1x1x16x64xbf16>) latent(%{{.*}}, %{{.*}} : tensor<1x4096x512xbf16>, tensor<1x4096x64xbf16>) up_projections(%{{.*}}, %{{.*}} : tensor<16x512x128xbf16>, tensor<16x512x128xbf16>) outs(%{{.*}} : tensor<1x1x16x128xf32>) scale(0.0721687824 : f32) masking(causal) -> tensor<1x1x16x128xf32>
// CHECK: attn.latent_attention {{.*}} kv_lengths(%{{.*}} : tensor<1xi32>) outs({{.*}}) scale(0.0721687824 : f32) branches [#attn.latent_branch<first = 0, count = 2>, #attn.latent_branch<first = 2, count = 2>] weight(0.70710678118654757) -> tensor<1x1x16x128xf32>
func.func @latent_attention(%qn: tensor<1x1x16x128xbf16>, %qr: tensor<1x1x16x64xbf16>,
                            %c: tensor<1x4096x512xbf16>, %kr: tensor<1x4096x64xbf16>,
                            %wuk: tensor<16x512x128xbf16>, %wuv: tensor<16x512x128xbf16>,
                            %c4: tensor<1x4096x4x128xbf16>, %wuk4: tensor<4x16x128x128xbf16>,
                            %wuv4: tensor<4x16x128x128xbf16>, %len: tensor<1xi32>,
                            %o: tensor<1x1x16x128xf32>) -> (tensor<1x1x16x128xf32>, tensor<1x1x16x128xf32>) {
  %mla = attn.latent_attention queries(%qn, %qr : tensor<1x1x16x128xbf16>, tensor<1x1x16x64xbf16>)
           latent(%c, %kr : tensor<1x4096x512xbf16>, tensor<1x4096x64xbf16>)
           up_projections(%wuk, %wuv : tensor<16x512x128xbf16>, tensor<16x512x128xbf16>)
           outs(%o : tensor<1x1x16x128xf32>) scale(0.0721687824 : f32) masking(causal)
           -> tensor<1x1x16x128xf32>
  %mlra2 = attn.latent_attention queries(%qn, %qr : tensor<1x1x16x128xbf16>, tensor<1x1x16x64xbf16>)
           latent(%c4, %kr : tensor<1x4096x4x128xbf16>, tensor<1x4096x64xbf16>)
           up_projections(%wuk4, %wuv4 : tensor<4x16x128x128xbf16>, tensor<4x16x128x128xbf16>)
           kv_lengths(%len : tensor<1xi32>) outs(%o : tensor<1x1x16x128xf32>) scale(0.0721687824 : f32)
           branches [#attn.latent_branch<first = 0, count = 2>, #attn.latent_branch<first = 2, count = 2>]
           weight(0.70710678118654757) -> tensor<1x1x16x128xf32>
  return %mla, %mlra2 : tensor<1x1x16x128xf32>, tensor<1x1x16x128xf32>
}

// Without the RoPE term: the cache holds the latent alone.
// CHECK-LABEL: func.func @latent_attention_without_rope
// CHECK: attn.latent_attention queries(%{{.*}} : tensor<1x1x16x128xbf16>) latent(%{{.*}} : tensor<1x4096x512xbf16>) up_projections(%{{.*}}, %{{.*}} : tensor<16x512x128xbf16>, tensor<16x512x128xbf16>) outs(%{{.*}} : tensor<1x1x16x128xf32>) scale(0.0721687824 : f32) -> tensor<1x1x16x128xf32>
func.func @latent_attention_without_rope(%qn: tensor<1x1x16x128xbf16>, %c: tensor<1x4096x512xbf16>,
                                         %wuk: tensor<16x512x128xbf16>, %wuv: tensor<16x512x128xbf16>,
                                         %o: tensor<1x1x16x128xf32>) -> tensor<1x1x16x128xf32> {
  %r = attn.latent_attention queries(%qn : tensor<1x1x16x128xbf16>)
         latent(%c : tensor<1x4096x512xbf16>)
         up_projections(%wuk, %wuv : tensor<16x512x128xbf16>, tensor<16x512x128xbf16>)
         outs(%o : tensor<1x1x16x128xf32>) scale(0.0721687824 : f32) -> tensor<1x1x16x128xf32>
  return %r : tensor<1x1x16x128xf32>
}

// CHECK-LABEL: func.func @embedding_gate
// CHECK: attn.embedding_gate latent(%{{.*}} : tensor<1x64x64xf32>) ids(%{{.*}} : tensor<1x64xi32>) table(%{{.*}} : tensor<1024x256xf32>) up_projection(%{{.*}} : tensor<64x256xf32>) norm_weight(%{{.*}} : tensor<256xf32>) outs(%{{.*}} : tensor<1x64x256xf32>) norm = layer, epsilon = 1.000000e-05 -> tensor<1x64x256xf32>
func.func @embedding_gate(%c: tensor<1x64x64xf32>, %ids: tensor<1x64xi32>, %table: tensor<1024x256xf32>,
                          %wu: tensor<64x256xf32>, %nw: tensor<256xf32>, %o: tensor<1x64x256xf32>) -> tensor<1x64x256xf32> {
  %u = attn.embedding_gate latent(%c : tensor<1x64x64xf32>) ids(%ids : tensor<1x64xi32>)
         table(%table : tensor<1024x256xf32>) up_projection(%wu : tensor<64x256xf32>)
         norm_weight(%nw : tensor<256xf32>) outs(%o : tensor<1x64x256xf32>)
         norm = layer, epsilon = 1.0e-5 -> tensor<1x64x256xf32>
  return %u : tensor<1x64x256xf32>
}

// CHECK-LABEL: func.func @grouped_head_attention
// CHECK: attn.grouped_head_attention queries(%{{.*}} : tensor<1x1x5x64xf32>) keys(%{{.*}} : tensor<1x128x1x64xf32>) values(%{{.*}} : tensor<1x128x1x128xf32>) decoder(%{{.*}} : tensor<5x128x256xf32>) gate(%{{.*}} : tensor<1x1x1280xf32>) outs(%{{.*}} : tensor<1x1x1280xf32>) scale(1.250000e-01 : f32) masking(sliding_window, window = 64) -> tensor<1x1x1280xf32>
func.func @grouped_head_attention(%x: tensor<1x1x1280xf32>, %q: tensor<1x1x5x64xf32>, %k: tensor<1x128x1x64xf32>,
                                  %v: tensor<1x128x1x128xf32>, %w: tensor<5x128x256xf32>,
                                  %o: tensor<1x1x1280xf32>) -> tensor<1x1x1280xf32> {
  %y = attn.grouped_head_attention queries(%q : tensor<1x1x5x64xf32>) keys(%k : tensor<1x128x1x64xf32>)
         values(%v : tensor<1x128x1x128xf32>) decoder(%w : tensor<5x128x256xf32>)
         gate(%x : tensor<1x1x1280xf32>) outs(%o : tensor<1x1x1280xf32>)
         scale(0.125 : f32) masking(sliding_window, window = 64) -> tensor<1x1x1280xf32>
  return %y : tensor<1x1x1280xf32>
}

// A tile of a causal attention: queries 4..7 of 16 against all 16 keys, with
// the log-sum-exp of every row as a second output.
// CHECK-LABEL: func.func @tile_with_log_sum_exp
// CHECK: outs(%{{.*}} : tensor<2x4x4x32xf32>, log_sum_exp %{{.*}} : tensor<2x4x4xf32>) scale(1.250000e-01 : f32) masking(causal) positions(queries %{{.*}} of 16, keys %{{.*}} of 16) indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}] -> tensor<2x4x4x32xf32>, tensor<2x4x4xf32>
func.func @tile_with_log_sum_exp(%q: tensor<2x4x4x32xf32>, %k: tensor<2x4x16x32xf32>,
                                 %v: tensor<2x4x16x32xf32>, %o: tensor<2x4x4x32xf32>,
                                 %lse: tensor<2x4x4xf32>) -> (tensor<2x4x4x32xf32>, tensor<2x4x4xf32>) {
  %c4 = arith.constant 4 : index
  %c0 = arith.constant 0 : index
  %r:2 = attn.attention queries(%q : tensor<2x4x4x32xf32>) keys(%k : tensor<2x4x16x32xf32>)
         values(%v : tensor<2x4x16x32xf32>) outs(%o : tensor<2x4x4x32xf32>, log_sum_exp %lse : tensor<2x4x4xf32>)
         scale(0.125 : f32) masking(causal) positions(queries %c4 of 16, keys %c0 of 16)
         indexing_maps = [#q, #k, #v, #o, affine_map<(b, h, s, t, d, e) -> (b, h, s)>]
         -> tensor<2x4x4x32xf32>, tensor<2x4x4xf32>
  return %r#0, %r#1 : tensor<2x4x4x32xf32>, tensor<2x4x4xf32>
}
