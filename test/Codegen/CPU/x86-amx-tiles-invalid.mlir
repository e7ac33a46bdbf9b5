// RUN: attn-opt %s --split-input-file --attn-x86-amx-tiles --verify-diagnostics

// A marked contraction whose dimensions are not whole tiles (24 rows).

#a = affine_map<(m, n, k, j) -> (m, k, j)>
#b = affine_map<(m, n, k, j) -> (k, n, j)>
#c = affine_map<(m, n, k, j) -> (m, n)>
func.func @partial_tiles(%a: memref<24x16x2xbf16>, %b: memref<16x16x2xbf16>, %c: memref<24x16xf32>) {
  // expected-error @+1 {{marked for AMX tiles is neither a bf16 VNNI pack nor a bf16 tile contraction (the multiply-add of its widened inputs) in VNNI form with dimensions multiple of 16}}
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<24x16x2xbf16>, memref<16x16x2xbf16>)
      outs(%c : memref<24x16xf32>) attrs = {attn_codegen.amx} {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A marked contraction of f32 operands (AMX multiplies bf16 here).

#a = affine_map<(m, n, k, j) -> (m, k, j)>
#b = affine_map<(m, n, k, j) -> (k, n, j)>
#c = affine_map<(m, n, k, j) -> (m, n)>
func.func @f32_operands(%a: memref<16x16x2xf32>, %b: memref<16x16x2xf32>, %c: memref<16x16xf32>) {
  // expected-error @+1 {{marked for AMX tiles is neither a bf16 VNNI pack}}
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<16x16x2xf32>, memref<16x16x2xf32>)
      outs(%c : memref<16x16xf32>) attrs = {attn_codegen.amx} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A marked contraction of another body (a difference, not a sum).

#a = affine_map<(m, n, k, j) -> (m, k, j)>
#b = affine_map<(m, n, k, j) -> (k, n, j)>
#c = affine_map<(m, n, k, j) -> (m, n)>
func.func @other_body(%a: memref<16x16x2xbf16>, %b: memref<16x16x2xbf16>, %c: memref<16x16xf32>) {
  // expected-error @+1 {{marked for AMX tiles is neither a bf16 VNNI pack}}
  linalg.generic {indexing_maps = [#a, #b, #c],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<16x16x2xbf16>, memref<16x16x2xbf16>)
      outs(%c : memref<16x16xf32>) attrs = {attn_codegen.amx} {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.subf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A marked op still on tensors: the pass runs after bufferization.

#in = affine_map<(p, n, j) -> (p, j, n)>
#out = affine_map<(p, n, j) -> (p, n, j)>
func.func @on_tensors(%in: tensor<16x2x16xbf16>, %out: tensor<16x16x2xbf16>) -> tensor<16x16x2xbf16> {
  // expected-error @+1 {{marked for AMX tiles must be on buffers (attn-x86-amx-tiles runs after bufferization)}}
  %r = linalg.generic {indexing_maps = [#in, #out],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%in : tensor<16x2x16xbf16>) outs(%out : tensor<16x16x2xbf16>) attrs = {attn_codegen.amx} {
  ^bb0(%x: bf16, %y: bf16):
    linalg.yield %x : bf16
  } -> tensor<16x16x2xbf16>
  return %r : tensor<16x16x2xbf16>
}
