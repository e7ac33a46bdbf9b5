// Attention written in plain upstream linalg, as frontends emit it:
// @mha (batch_matmul, transposed K, divided scores, linalg.softmax),
// @masked (generic contractions, scale on Q, additive mask, decomposed softmax),
// @gqa (K/V repeated over query heads by broadcast + collapse_shape),
// @mla (K and V up-projected from one latent, a shared RoPE key).
// Used by plain-linalg.test through attnc, raised and unraised.

func.func @mha(%q: tensor<8x16x32xf32>, %k: tensor<8x24x32xf32>, %v: tensor<8x24x32xf32>) -> tensor<8x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 5.656854 : f32
  %kt0 = tensor.empty() : tensor<8x32x24xf32>
  %kt = linalg.transpose ins(%k : tensor<8x24x32xf32>) outs(%kt0 : tensor<8x32x24xf32>) permutation = [0, 2, 1]
  %s0 = tensor.empty() : tensor<8x16x24xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8x16x24xf32>) -> tensor<8x16x24xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<8x16x32xf32>, tensor<8x32x24xf32>) outs(%sf : tensor<8x16x24xf32>) -> tensor<8x16x24xf32>
  %scaled = linalg.generic {indexing_maps = [affine_map<(b, i, j) -> (b, i, j)>, affine_map<(b, i, j) -> (b, i, j)>],
                            iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<8x16x24xf32>) outs(%s0 : tensor<8x16x24xf32>) {
  ^bb0(%x: f32, %o: f32):
    %d = arith.divf %x, %c : f32
    linalg.yield %d : f32
  } -> tensor<8x16x24xf32>
  %p = linalg.softmax dimension(2) ins(%scaled : tensor<8x16x24xf32>) outs(%s0 : tensor<8x16x24xf32>) -> tensor<8x16x24xf32>
  %o0 = tensor.empty() : tensor<8x16x32xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x16x32xf32>) -> tensor<8x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<8x16x24xf32>, tensor<8x24x32xf32>) outs(%of : tensor<8x16x32xf32>) -> tensor<8x16x32xf32>
  return %o : tensor<8x16x32xf32>
}

#masked_q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#masked_k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#masked_sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#masked_id4 = affine_map<(b, h, s, t) -> (b, h, s, t)>
#masked_row = affine_map<(b, h, s, t) -> (b, h, s)>
#masked_m = affine_map<(b, h, s, t) -> (b, s, t)>
#masked_p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#masked_v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#masked_o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @masked(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x12x16xf32>, %v: tensor<1x4x12x16xf32>,
                      %mask: tensor<1x8x12xf32>) -> tensor<1x4x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c = arith.constant 0.25 : f32
  %qe = tensor.empty() : tensor<1x4x8x16xf32>
  %qs = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q : tensor<1x4x8x16xf32>) outs(%qe : tensor<1x4x8x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x4x8x16xf32>
  %se = tensor.empty() : tensor<1x4x8x12xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x8x12xf32>) -> tensor<1x4x8x12xf32>
  %s = linalg.generic {indexing_maps = [#masked_q, #masked_k, #masked_sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%qs, %k : tensor<1x4x8x16xf32>, tensor<1x4x12x16xf32>) outs(%sf : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %masked = linalg.generic {indexing_maps = [#masked_id4, #masked_m, #masked_id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<1x4x8x12xf32>, tensor<1x8x12xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %re = tensor.empty() : tensor<1x4x8xf32>
  %mf = linalg.fill ins(%ninf : f32) outs(%re : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %max = linalg.generic {indexing_maps = [#masked_id4, #masked_row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<1x4x8x12xf32>) outs(%mf : tensor<1x4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8xf32>
  %e = linalg.generic {indexing_maps = [#masked_id4, #masked_row, #masked_id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<1x4x8x12xf32>, tensor<1x4x8xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<1x4x8x12xf32>
  %zf = linalg.fill ins(%zero : f32) outs(%re : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %sum = linalg.generic {indexing_maps = [#masked_id4, #masked_row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%e : tensor<1x4x8x12xf32>) outs(%zf : tensor<1x4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8xf32>
  %p = linalg.generic {indexing_maps = [#masked_id4, #masked_row, #masked_id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%e, %sum : tensor<1x4x8x12xf32>, tensor<1x4x8xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %oe = tensor.empty() : tensor<1x4x8x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %out = linalg.generic {indexing_maps = [#masked_p, #masked_v, #masked_o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : tensor<1x4x8x12xf32>, tensor<1x4x12x16xf32>) outs(%of : tensor<1x4x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x16xf32>
  return %out : tensor<1x4x8x16xf32>
}

#gqa_q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#gqa_k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#gqa_sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#gqa_p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#gqa_v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#gqa_o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @gqa(%q: tensor<1x8x1x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>) -> tensor<1x8x1x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %kb0 = tensor.empty() : tensor<1x2x4x12x16xf32>
  %kb = linalg.broadcast ins(%k : tensor<1x2x12x16xf32>) outs(%kb0 : tensor<1x2x4x12x16xf32>) dimensions = [2]
  %kr = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x4x12x16xf32> into tensor<1x8x12x16xf32>
  %vb = linalg.broadcast ins(%v : tensor<1x2x12x16xf32>) outs(%kb0 : tensor<1x2x4x12x16xf32>) dimensions = [2]
  %vr = tensor.collapse_shape %vb [[0], [1, 2], [3], [4]] : tensor<1x2x4x12x16xf32> into tensor<1x8x12x16xf32>
  %se = tensor.empty() : tensor<1x8x1x12xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<1x8x1x12xf32>) -> tensor<1x8x1x12xf32>
  %s = linalg.generic {indexing_maps = [#gqa_q, #gqa_k, #gqa_sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %kr : tensor<1x8x1x16xf32>, tensor<1x8x12x16xf32>) outs(%sf : tensor<1x8x1x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1x12xf32>
  %sc2 = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x8x1x12xf32>) outs(%se : tensor<1x8x1x12xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x8x1x12xf32>
  %pr = linalg.softmax dimension(3) ins(%sc2 : tensor<1x8x1x12xf32>) outs(%se : tensor<1x8x1x12xf32>) -> tensor<1x8x1x12xf32>
  %oe = tensor.empty() : tensor<1x8x1x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x8x1x16xf32>) -> tensor<1x8x1x16xf32>
  %out = linalg.generic {indexing_maps = [#gqa_p, #gqa_v, #gqa_o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%pr, %vr : tensor<1x8x1x12xf32>, tensor<1x8x12x16xf32>) outs(%of : tensor<1x8x1x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1x16xf32>
  return %out : tensor<1x8x1x16xf32>
}

#mla_up_l = affine_map<(b, h, t, n, c) -> (b, t, c)>
#mla_up_w = affine_map<(b, h, t, n, c) -> (h, c, n)>
#mla_up_o = affine_map<(b, h, t, n, c) -> (b, h, t, n)>
#mla_q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#mla_k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#mla_kr = affine_map<(b, h, s, t, d) -> (b, t, d)>
#mla_sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#mla_id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>
#mla_p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#mla_v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#mla_o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @mla(%q_nope: tensor<1x4x2x16xf32>, %q_rope: tensor<1x4x2x8xf32>, %latent: tensor<1x20x32xf32>,
               %k_rope: tensor<1x20x8xf32>, %w_uk: tensor<4x32x16xf32>, %w_uv: tensor<4x32x16xf32>) -> tensor<1x4x2x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.2041241452 : f32
  %ke = tensor.empty() : tensor<1x4x20x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%ke : tensor<1x4x20x16xf32>) -> tensor<1x4x20x16xf32>
  %k_nope = linalg.generic {indexing_maps = [#mla_up_l, #mla_up_w, #mla_up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uk : tensor<1x20x32xf32>, tensor<4x32x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %v = linalg.generic {indexing_maps = [#mla_up_l, #mla_up_w, #mla_up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uv : tensor<1x20x32xf32>, tensor<4x32x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %se = tensor.empty() : tensor<1x4x2x20xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %s1 = linalg.generic {indexing_maps = [#mla_q, #mla_k, #mla_sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q_nope, %k_nope : tensor<1x4x2x16xf32>, tensor<1x4x20x16xf32>) outs(%sf : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %s2 = linalg.generic {indexing_maps = [#mla_q, #mla_kr, #mla_sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q_rope, %k_rope : tensor<1x4x2x8xf32>, tensor<1x20x8xf32>) outs(%sf : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %s = linalg.generic {indexing_maps = [#mla_id4, #mla_id4, #mla_id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s1, %s2 : tensor<1x4x2x20xf32>, tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %scaled = linalg.generic {indexing_maps = [#mla_id4, #mla_id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x4x2x20xf32>
  %pr = linalg.softmax dimension(3) ins(%scaled : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %oe = tensor.empty() : tensor<1x4x2x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x2x16xf32>) -> tensor<1x4x2x16xf32>
  %out = linalg.generic {indexing_maps = [#mla_p, #mla_v, #mla_o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%pr, %v : tensor<1x4x2x20xf32>, tensor<1x4x20x16xf32>) outs(%of : tensor<1x4x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x16xf32>
  return %out : tensor<1x4x2x16xf32>
}
