func.func @f(%k: tensor<8x64xf32>, %s: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(k, c) -> (k, c)>, affine_map<(k, c) -> (k)>],
         iterator_types = [0x7FC00000, "reduction"]}
       ins(%k : tensor<8x64xf32>) outs(%s : tensor<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sum = arith.addf %acc, %a : f32
    linalg.yield %sum : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}
