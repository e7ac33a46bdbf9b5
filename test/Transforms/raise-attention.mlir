// RUN: attn-opt %s --attn-decompose-aggregates --attn-raise-attention --split-input-file | FileCheck %s
// linalg.softmax is decomposed upstream's way first (NaN-initialised
// maxnumf), as attn-cpu-pipeline does: the pass matches what each element
// computes, not the ops that spell it.

// torch-style MHA on [B*H, S, D]: K transposed by linalg.transpose, the
// scores divided by a constant, linalg.softmax, batch_matmul with V. One
// attn.attention, K read in place through the transpose's permutation.

// CHECK-LABEL: func.func @mha
// CHECK-SAME:    (%[[Q:.*]]: tensor<8x16x32xf32>, %[[K:.*]]: tensor<8x24x32xf32>, %[[V:.*]]: tensor<8x24x32xf32>)
// CHECK:       %[[O:.*]] = attn.attention queries(%[[Q]] : tensor<8x16x32xf32>) keys(%[[K]] : tensor<8x24x32xf32>) values(%[[V]] : tensor<8x24x32xf32>)
// CHECK-SAME:    scale(0.176776{{[0-9]*}} : f32)
// CHECK-NEXT:  return %[[O]]

// torch-style MHA: [B*H, S, D] batch_matmul with K transposed, scores divided
// by sqrt(D), linalg.softmax, batch_matmul with V.
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

// -----

// The decomposed softmax (max, subtract-exp, sum, divide generics), the scale
// on Q and an additive mask broadcast over heads.

// CHECK-LABEL: func.func @decomposed
// CHECK:       %[[M:.*]] = tensor.collapse_shape %arg3 {{\[}}[0, 1], [2]] : tensor<1x8x12xf32> into tensor<8x12xf32>
// CHECK:       %[[O:.*]] = attn.attention {{.*}} mask(%[[M]] : tensor<8x12xf32>)
// CHECK-SAME:    scale(2.500000e-01 : f32)
// CHECK-NEXT:  %[[R:.*]] = tensor.expand_shape %[[O]] {{\[}}[0, 1], [2], [3]] {{.*}} : tensor<4x8x16xf32> into tensor<1x4x8x16xf32>
// CHECK-NEXT:  return %[[R]]

#q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#id4 = affine_map<(b, h, s, t) -> (b, h, s, t)>
#row = affine_map<(b, h, s, t) -> (b, h, s)>
#m = affine_map<(b, h, s, t) -> (b, s, t)>
#p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @decomposed(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x12x16xf32>, %v: tensor<1x4x12x16xf32>,
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
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%qs, %k : tensor<1x4x8x16xf32>, tensor<1x4x12x16xf32>) outs(%sf : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #m, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<1x4x8x12xf32>, tensor<1x8x12xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %re = tensor.empty() : tensor<1x4x8xf32>
  %mf = linalg.fill ins(%ninf : f32) outs(%re : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %max = linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<1x4x8x12xf32>) outs(%mf : tensor<1x4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8xf32>
  %e = linalg.generic {indexing_maps = [#id4, #row, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<1x4x8x12xf32>, tensor<1x4x8xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<1x4x8x12xf32>
  %zf = linalg.fill ins(%zero : f32) outs(%re : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%e : tensor<1x4x8x12xf32>) outs(%zf : tensor<1x4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8xf32>
  %p = linalg.generic {indexing_maps = [#id4, #row, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%e, %sum : tensor<1x4x8x12xf32>, tensor<1x4x8xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %oe = tensor.empty() : tensor<1x4x8x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : tensor<1x4x8x12xf32>, tensor<1x4x12x16xf32>) outs(%of : tensor<1x4x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x16xf32>
  return %out : tensor<1x4x8x16xf32>
}

// -----

// GQA written with repeat_kv (broadcast + collapse_shape): K and V are read
// unrepeated, 2 heads for 8 query heads (query head h reads KV head h / 4,
// as attn.attention groups heads by extent). Unit dims are dropped by views.

// CHECK-DAG:   #[[QMAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2)>
// CHECK-DAG:   #[[KMAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG:   #[[VMAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>
// CHECK-DAG:   #[[OMAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @gqa
// CHECK-NOT:   linalg.broadcast
// CHECK-DAG:   %[[Q:.*]] = tensor.collapse_shape %arg0 {{.*}} into tensor<8x16xf32>
// CHECK-DAG:   %[[K:.*]] = tensor.collapse_shape %arg1 {{.*}} into tensor<2x12x16xf32>
// CHECK-DAG:   %[[V:.*]] = tensor.collapse_shape %arg2 {{.*}} into tensor<2x12x16xf32>
// CHECK:       attn.attention queries(%[[Q]] : tensor<8x16xf32>) keys(%[[K]] : tensor<2x12x16xf32>) values(%[[V]] : tensor<2x12x16xf32>)
// CHECK-SAME:    indexing_maps = [#[[QMAP]], #[[KMAP]], #[[VMAP]], #[[OMAP]]]
// CHECK-NOT:   linalg.generic

#q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
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
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
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
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%pr, %vr : tensor<1x8x1x12xf32>, tensor<1x8x12x16xf32>) outs(%of : tensor<1x8x1x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1x16xf32>
  return %out : tensor<1x8x1x16xf32>
}

// -----

// MLA in its expanded form: K_nope and V up-projected from one latent, a
// RoPE key shared by all heads, scores as the sum of both terms. Becomes
// attn.latent_attention (the up-projections are never materialised), with Q
// and the output transposed between [B, H, S, *] and [B, S, H, *].

// CHECK-LABEL: func.func @mla
// CHECK-NOT:   linalg.generic
// CHECK:       %[[QN:.*]] = linalg.transpose ins(%arg0 : tensor<1x4x2x16xf32>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK:       %[[QR:.*]] = linalg.transpose ins(%arg1 : tensor<1x4x2x8xf32>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK:       %[[L:.*]] = attn.latent_attention queries(%[[QN]], %[[QR]] : {{[^)]*}}) latent(%arg2, %arg3 : {{[^)]*}}) up_projections(%arg4, %arg5 : {{[^)]*}})
// CHECK:       %[[O:.*]] = linalg.transpose ins(%[[L]] : tensor<1x2x4x16xf32>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK:       return %[[O]]

#up_l = affine_map<(b, h, t, n, c) -> (b, t, c)>
#up_w = affine_map<(b, h, t, n, c) -> (h, c, n)>
#up_o = affine_map<(b, h, t, n, c) -> (b, h, t, n)>
#q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#kr = affine_map<(b, h, s, t, d) -> (b, t, d)>
#sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>
#p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @mla(%q_nope: tensor<1x4x2x16xf32>, %q_rope: tensor<1x4x2x8xf32>, %latent: tensor<1x20x32xf32>,
               %k_rope: tensor<1x20x8xf32>, %w_uk: tensor<4x32x16xf32>, %w_uv: tensor<4x32x16xf32>) -> tensor<1x4x2x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.2041241452 : f32
  %ke = tensor.empty() : tensor<1x4x20x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%ke : tensor<1x4x20x16xf32>) -> tensor<1x4x20x16xf32>
  %k_nope = linalg.generic {indexing_maps = [#up_l, #up_w, #up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uk : tensor<1x20x32xf32>, tensor<4x32x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %v = linalg.generic {indexing_maps = [#up_l, #up_w, #up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uv : tensor<1x20x32xf32>, tensor<4x32x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %se = tensor.empty() : tensor<1x4x2x20xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %s1 = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q_nope, %k_nope : tensor<1x4x2x16xf32>, tensor<1x4x20x16xf32>) outs(%sf : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %s2 = linalg.generic {indexing_maps = [#q, #kr, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q_rope, %k_rope : tensor<1x4x2x8xf32>, tensor<1x20x8xf32>) outs(%sf : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %s = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s1, %s2 : tensor<1x4x2x20xf32>, tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %scaled = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x4x2x20xf32>
  %pr = linalg.softmax dimension(3) ins(%scaled : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %oe = tensor.empty() : tensor<1x4x2x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x2x16xf32>) -> tensor<1x4x2x16xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%pr, %v : tensor<1x4x2x20xf32>, tensor<1x4x20x16xf32>) outs(%of : tensor<1x4x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x16xf32>
  return %out : tensor<1x4x2x16xf32>
}

// -----

// MLA without a RoPE term: K and V up-projected from one latent of 32,
// narrower than the 4 x 16 keys it expands to. attn.latent_attention with
// no RoPE operands.

// CHECK-LABEL: func.func @mla_without_rope
// CHECK-NOT:   linalg.generic
// CHECK:       %[[QN:.*]] = linalg.transpose ins(%arg0 : tensor<1x4x2x16xf32>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK:       attn.latent_attention queries(%[[QN]] : tensor<1x2x4x16xf32>) latent(%arg1 : tensor<1x20x32xf32>) up_projections(%arg2, %arg3 : {{[^)]*}})
// CHECK-SAME:    scale(2.500000e-01 : f32) ->

#up_l = affine_map<(b, h, t, n, c) -> (b, t, c)>
#up_w = affine_map<(b, h, t, n, c) -> (h, c, n)>
#up_o = affine_map<(b, h, t, n, c) -> (b, h, t, n)>
#q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>
#p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @mla_without_rope(%q_nope: tensor<1x4x2x16xf32>, %latent: tensor<1x20x32xf32>,
    %w_uk: tensor<4x32x16xf32>, %w_uv: tensor<4x32x16xf32>) -> tensor<1x4x2x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %ke = tensor.empty() : tensor<1x4x20x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%ke : tensor<1x4x20x16xf32>) -> tensor<1x4x20x16xf32>
  %k = linalg.generic {indexing_maps = [#up_l, #up_w, #up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uk : tensor<1x20x32xf32>, tensor<4x32x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %v = linalg.generic {indexing_maps = [#up_l, #up_w, #up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uv : tensor<1x20x32xf32>, tensor<4x32x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %se = tensor.empty() : tensor<1x4x2x20xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q_nope, %k : tensor<1x4x2x16xf32>, tensor<1x4x20x16xf32>) outs(%sf : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %scaled = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x4x2x20xf32>
  %pr = linalg.softmax dimension(3) ins(%scaled : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %oe = tensor.empty() : tensor<1x4x2x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x2x16xf32>) -> tensor<1x4x2x16xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%pr, %v : tensor<1x4x2x20xf32>, tensor<1x4x20x16xf32>) outs(%of : tensor<1x4x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x16xf32>
  return %out : tensor<1x4x2x16xf32>
}

// -----

// The same with a "latent" of 64, as wide as the 4 x 16 keys: that is K and
// V projected from a hidden state, ordinary self-attention. attn.attention
// over the projected K and V.

// CHECK-LABEL: func.func @projections_as_wide_as_keys
// CHECK-NOT:   attn.latent_attention
// CHECK:       attn.attention queries(%{{.*}} : tensor<4x2x16xf32>) keys(%{{.*}} : tensor<4x20x16xf32>) values(%{{.*}} : tensor<4x20x16xf32>)

#up_l = affine_map<(b, h, t, n, c) -> (b, t, c)>
#up_w = affine_map<(b, h, t, n, c) -> (h, c, n)>
#up_o = affine_map<(b, h, t, n, c) -> (b, h, t, n)>
#q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>
#p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @projections_as_wide_as_keys(%q_nope: tensor<1x4x2x16xf32>, %latent: tensor<1x20x64xf32>,
    %w_uk: tensor<4x64x16xf32>, %w_uv: tensor<4x64x16xf32>) -> tensor<1x4x2x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %ke = tensor.empty() : tensor<1x4x20x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%ke : tensor<1x4x20x16xf32>) -> tensor<1x4x20x16xf32>
  %k = linalg.generic {indexing_maps = [#up_l, #up_w, #up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uk : tensor<1x20x64xf32>, tensor<4x64x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %v = linalg.generic {indexing_maps = [#up_l, #up_w, #up_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%latent, %w_uv : tensor<1x20x64xf32>, tensor<4x64x16xf32>) outs(%kf : tensor<1x4x20x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x20x16xf32>
  %se = tensor.empty() : tensor<1x4x2x20xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q_nope, %k : tensor<1x4x2x16xf32>, tensor<1x4x20x16xf32>) outs(%sf : tensor<1x4x2x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x20xf32>
  %scaled = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x4x2x20xf32>
  %pr = linalg.softmax dimension(3) ins(%scaled : tensor<1x4x2x20xf32>) outs(%se : tensor<1x4x2x20xf32>) -> tensor<1x4x2x20xf32>
  %oe = tensor.empty() : tensor<1x4x2x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x2x16xf32>) -> tensor<1x4x2x16xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%pr, %v : tensor<1x4x2x20xf32>, tensor<1x4x20x16xf32>) outs(%of : tensor<1x4x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x2x16xf32>
  return %out : tensor<1x4x2x16xf32>
}

// -----

// Not attention: the softmax normalises over queries, not over the keys
// the second contraction reduces. Left untouched.

// CHECK-LABEL: func.func @softmax_over_queries
// CHECK-NOT:   attn.attention
// CHECK:       math.exp
// CHECK:       linalg.batch_matmul

// torch-style MHA: [B*H, S, D] batch_matmul with K transposed, scores divided
// by sqrt(D), linalg.softmax, batch_matmul with V.
func.func @softmax_over_queries(%q: tensor<8x16x32xf32>, %k: tensor<8x24x32xf32>, %v: tensor<8x24x32xf32>) -> tensor<8x16x32xf32> {
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
  %p = linalg.softmax dimension(1) ins(%scaled : tensor<8x16x24xf32>) outs(%s0 : tensor<8x16x24xf32>) -> tensor<8x16x24xf32>
  %o0 = tensor.empty() : tensor<8x16x32xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x16x32xf32>) -> tensor<8x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<8x16x24xf32>, tensor<8x24x32xf32>) outs(%of : tensor<8x16x32xf32>) -> tensor<8x16x32xf32>
  return %o : tensor<8x16x32xf32>
}

// -----

// Not attention as attn means it: the mask multiplies the scores. Left
// untouched.

// CHECK-LABEL: func.func @multiplied_mask
// CHECK-NOT:   attn.attention
// CHECK:       math.exp

#q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#id4 = affine_map<(b, h, s, t) -> (b, h, s, t)>
#row = affine_map<(b, h, s, t) -> (b, h, s)>
#m = affine_map<(b, h, s, t) -> (b, s, t)>
#p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#v = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
func.func @multiplied_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x12x16xf32>, %v: tensor<1x4x12x16xf32>,
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
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%qs, %k : tensor<1x4x8x16xf32>, tensor<1x4x12x16xf32>) outs(%sf : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #m, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<1x4x8x12xf32>, tensor<1x8x12xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %re = tensor.empty() : tensor<1x4x8xf32>
  %mf = linalg.fill ins(%ninf : f32) outs(%re : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %max = linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<1x4x8x12xf32>) outs(%mf : tensor<1x4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8xf32>
  %e = linalg.generic {indexing_maps = [#id4, #row, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %max : tensor<1x4x8x12xf32>, tensor<1x4x8xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<1x4x8x12xf32>
  %zf = linalg.fill ins(%zero : f32) outs(%re : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%e : tensor<1x4x8x12xf32>) outs(%zf : tensor<1x4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8xf32>
  %p = linalg.generic {indexing_maps = [#id4, #row, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%e, %sum : tensor<1x4x8x12xf32>, tensor<1x4x8xf32>) outs(%se : tensor<1x4x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x12xf32>
  %oe = tensor.empty() : tensor<1x4x8x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : tensor<1x4x8x12xf32>, tensor<1x4x12x16xf32>) outs(%of : tensor<1x4x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x8x16xf32>
  return %out : tensor<1x4x8x16xf32>
}

// -----

// Not attention: the second contraction reduces over queries while the
// softmax normalises over keys. Left untouched.

// CHECK-LABEL: func.func @wrong_contraction_dim
// CHECK-NOT:   attn.attention
// CHECK:       math.exp

#q = affine_map<(b, h, s, t, d) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d) -> (b, h, t, d)>
#sc = affine_map<(b, h, s, t, d) -> (b, h, s, t)>
#p = affine_map<(b, h, s, t, e) -> (b, h, s, t)>
#v = affine_map<(b, h, s, t, e) -> (b, h, s, e)>
#o = affine_map<(b, h, s, t, e) -> (b, h, t, e)>
func.func @wrong_contraction_dim(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x12x16xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x4x12xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x4x12xf32>) -> tensor<1x2x4x12xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<1x2x4x16xf32>, tensor<1x2x12x16xf32>) outs(%sf : tensor<1x2x4x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x12xf32>
  %pr = linalg.softmax dimension(3) ins(%s : tensor<1x2x4x12xf32>) outs(%se : tensor<1x2x4x12xf32>) -> tensor<1x2x4x12xf32>
  %oe = tensor.empty() : tensor<1x2x12x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x12x16xf32>) -> tensor<1x2x12x16xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%pr, %v : tensor<1x2x4x12xf32>, tensor<1x2x4x16xf32>) outs(%of : tensor<1x2x12x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x12x16xf32>
  return %out : tensor<1x2x12x16xf32>
}
