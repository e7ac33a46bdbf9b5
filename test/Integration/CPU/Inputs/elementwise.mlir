// Elementwise linalg that model exporters emit around attention, in the forms
// that the vector path once got wrong: boolean results (a causal mask built
// from positions), RMSNorm's x.pow(2) as math.fpowi, integer bit ops, class
// tests and extended multiplies. elementwise.test checks each against
// float64; differential.test checks the tiled pipeline against the oracle.

#id1 = affine_map<(i) -> (i)>
#id2 = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// mask[s, t] = (t <= s + 56): torch's causal mask of 8 queries at the end of
// 64 keys, as a compare of index tensors (64 one-byte booleans per row).
func.func @causal_mask(%q: tensor<8x64xi64>, %k: tensor<8x64xi64>) -> tensor<8x64xi1> {
  %e = tensor.empty() : tensor<8x64xi1>
  %r = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%q, %k : tensor<8x64xi64>, tensor<8x64xi64>) outs(%e : tensor<8x64xi1>) {
  ^bb0(%s: i64, %t: i64, %o: i1):
    %c56 = arith.constant 56 : i64
    %last = arith.addi %s, %c56 : i64
    %keep = arith.cmpi sle, %t, %last : i64
    linalg.yield %keep : i1
  } -> tensor<8x64xi1>
  return %r : tensor<8x64xi1>
}

// The same mask from linalg.index, applied to scores with select.
func.func @causal_select(%scores: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %e1 = tensor.empty() : tensor<8x64xi1>
  %mask = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%e1 : tensor<8x64xi1>) {
  ^bb0(%o: i1):
    %s = linalg.index 0 : index
    %t = linalg.index 1 : index
    %c56 = arith.constant 56 : index
    %last = arith.addi %s, %c56 : index
    %keep = arith.cmpi ule, %t, %last : index
    linalg.yield %keep : i1
  } -> tensor<8x64xi1>
  %e2 = tensor.empty() : tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mask, %scores : tensor<8x64xi1>, tensor<8x64xf32>) outs(%e2 : tensor<8x64xf32>) {
  ^bb0(%keep: i1, %x: f32, %o: f32):
    %ninf = arith.constant 0xFF800000 : f32
    %y = arith.select %keep, %x, %ninf : f32
    linalg.yield %y : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// RMSNorm as torch-mlir exports it: x.pow(2) is math.fpowi with an i64
// exponent, then the mean, rsqrt(mean + eps), x * that * weight.
func.func @rms_norm(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  %e = tensor.empty() : tensor<4x64xf32>
  %c2 = arith.constant 2 : i64
  %sq = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = math.fpowi %a, %c2 : f32, i64
    linalg.yield %p : f32
  } -> tensor<4x64xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : tensor<4x64xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id2, #row, affine_map<(i, j) -> (j)>, #id2],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum, %w : tensor<4x64xf32>, tensor<4xf32>, tensor<64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %s: f32, %g: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %mean = arith.divf %s, %n : f32
    %d = arith.addf %mean, %eps : f32
    %inv = math.rsqrt %d : f32
    %y = arith.mulf %a, %inv : f32
    %z = arith.mulf %y, %g : f32
    linalg.yield %z : f32
  } -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// x ** n with an exponent per element, and x ** -3.
func.func @powers(%x: tensor<4x64xf32>, %n: tensor<4x64xi32>) -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %e = tensor.empty() : tensor<4x64xf32>
  %p = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %n : tensor<4x64xf32>, tensor<4x64xi32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %k: i32, %o: f32):
    %y = math.fpowi %a, %k : f32, i32
    linalg.yield %y : f32
  } -> tensor<4x64xf32>
  %q = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c3 = arith.constant -3 : i32
    %y = math.fpowi %a, %c3 : f32, i32
    linalg.yield %y : f32
  } -> tensor<4x64xf32>
  return %p, %q : tensor<4x64xf32>, tensor<4x64xf32>
}

// Class tests give booleans: isnan(log a), and isnan(log a) | isfinite(b / a).
func.func @class_tests(%x: tensor<4x64xf32>, %y: tensor<4x64xf32>) -> (tensor<4x64xi1>, tensor<4x64xi1>) {
  %e = tensor.empty() : tensor<4x64xi1>
  %nan = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x64xi1>) {
  ^bb0(%a: f32, %o: i1):
    %l = math.log %a : f32
    %n = math.isnan %l : f32
    linalg.yield %n : i1
  } -> tensor<4x64xi1>
  %either = linalg.generic {indexing_maps = [#id2, #id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y, %nan : tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xi1>) outs(%e : tensor<4x64xi1>) {
  ^bb0(%a: f32, %b: f32, %n: i1, %o: i1):
    %q = arith.divf %b, %a : f32
    %fin = math.isfinite %q : f32
    %r = arith.ori %n, %fin : i1
    linalg.yield %r : i1
  } -> tensor<4x64xi1>
  return %nan, %either : tensor<4x64xi1>, tensor<4x64xi1>
}

// Integer bit ops, and the high half of a 32 x 32-bit product.
func.func @integer_ops(%a: tensor<4x64xi32>, %b: tensor<4x64xi32>) -> (tensor<4x64xi32>, tensor<4x64xi32>) {
  %e = tensor.empty() : tensor<4x64xi32>
  %bits = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x64xi32>, tensor<4x64xi32>) outs(%e : tensor<4x64xi32>) {
  ^bb0(%x: i32, %y: i32, %o: i32):
    %abs = math.absi %x : i32
    %lz = math.ctlz %y : i32
    %tz = math.cttz %y : i32
    %s = arith.addi %abs, %lz : i32
    %r = arith.addi %s, %tz : i32
    linalg.yield %r : i32
  } -> tensor<4x64xi32>
  %high = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x64xi32>, tensor<4x64xi32>) outs(%e : tensor<4x64xi32>) {
  ^bb0(%x: i32, %y: i32, %o: i32):
    %lo, %hi = arith.mulsi_extended %x, %y : i32
    linalg.yield %hi : i32
  } -> tensor<4x64xi32>
  return %bits, %high : tensor<4x64xi32>, tensor<4x64xi32>
}

// Booleans in and out: keep = a xor b.
func.func @bool_xor(%a: tensor<256xi1>, %b: tensor<256xi1>) -> tensor<256xi1> {
  %e = tensor.empty() : tensor<256xi1>
  %r = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%a, %b : tensor<256xi1>, tensor<256xi1>) outs(%e : tensor<256xi1>) {
  ^bb0(%x: i1, %y: i1, %o: i1):
    %z = arith.xori %x, %y : i1
    linalg.yield %z : i1
  } -> tensor<256xi1>
  return %r : tensor<256xi1>
}
