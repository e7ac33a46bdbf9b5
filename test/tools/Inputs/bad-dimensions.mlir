func.func @f(%k: tensor<2x3xf32>, %o: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %t = linalg.broadcast ins(%k : tensor<2x3xf32>) outs(%o : tensor<3x2xf32>) dimensions = x
  return %t : tensor<3x2xf32>
}
