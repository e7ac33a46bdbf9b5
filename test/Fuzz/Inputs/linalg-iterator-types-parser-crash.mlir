func.func @contraction(%k: tensor<8x64xf32>, %qt: tensor<64x32xf32>, %s: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                          affine_map<(k, q, c) -> (k, q)>],
         iterator_types = [0x7FC00000, "parallel", "reduction"]}
       ins(%                 affine_map<(k, q, c) -> (k, q)>],
         iterator_types = ["parallel", "parallel", "reduf32):  %
  m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
