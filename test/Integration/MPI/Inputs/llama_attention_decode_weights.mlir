// Exported by utils/export_models.py (llama_attention_decode_weights) with torch 2.15.0+cu132; inputs llama_attention_decode_weights.argN.npy, torch's output llama_attention_decode_weights.out.npy.
#map = affine_map<(d0) -> (d0)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#map3 = affine_map<(d0, d1, d2) -> (d2)>
#map4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map5 = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
#map6 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#map7 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#map8 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map9 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
module {
  func.func @main(%arg0: tensor<1x1x64xf32>, %arg1: tensor<1x2x15x16xf32>, %arg2: tensor<1x2x15x16xf32>, %arg3: tensor<64x64xf32>, %arg4: tensor<32x64xf32>, %arg5: tensor<32x64xf32>, %arg6: tensor<64x64xf32>) -> tensor<1x1x64xf32> {
    %c15_i64 = arith.constant 15 : i64
    %c0_i64 = arith.constant 0 : i64
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant 0xFF800000 : f32
    %cst_1 = arith.constant dense_resource<torch_tensor_8_torch.float32> : tensor<8xf32>
    %cst_2 = arith.constant 2.500000e-01 : f32
    %0 = tensor.empty() : tensor<1xi64>
    %1 = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%0 : tensor<1xi64>) {
    ^bb0(%out: i64):
      linalg.yield %c15_i64 : i64
    } -> tensor<1xi64>
    %expanded = tensor.expand_shape %1 [[0, 1, 2]] output_shape [1, 1, 1] : tensor<1xi64> into tensor<1x1x1xi64>
    %2 = tensor.empty() : tensor<1x1x1xf32>
    %3 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded : tensor<1x1x1xi64>) outs(%2 : tensor<1x1x1xf32>) {
    ^bb0(%in: i64, %out: f32):
      %52 = arith.sitofp %in : i64 to f32
      linalg.yield %52 : f32
    } -> tensor<1x1x1xf32>
    %4 = tensor.empty() : tensor<1x1x8xf32>
    %5 = linalg.generic {indexing_maps = [#map2, #map3, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%3, %cst_1 : tensor<1x1x1xf32>, tensor<8xf32>) outs(%4 : tensor<1x1x8xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.mulf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x1x8xf32>
    %concat = tensor.concat dim(2) %5, %5 : (tensor<1x1x8xf32>, tensor<1x1x8xf32>) -> tensor<1x1x16xf32>
    %6 = tensor.empty() : tensor<1x1x16xf32>
    %7 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%concat : tensor<1x1x16xf32>) outs(%6 : tensor<1x1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %52 = math.cos %in : f32
      linalg.yield %52 : f32
    } -> tensor<1x1x16xf32>
    %8 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%concat : tensor<1x1x16xf32>) outs(%6 : tensor<1x1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %52 = math.sin %in : f32
      linalg.yield %52 : f32
    } -> tensor<1x1x16xf32>
    %9 = tensor.empty() : tensor<64x64xf32>
    %transposed = linalg.transpose ins(%arg3 : tensor<64x64xf32>) outs(%9 : tensor<64x64xf32>) permutation = [1, 0] 
    %collapsed = tensor.collapse_shape %arg0 [[0], [1, 2]] : tensor<1x1x64xf32> into tensor<1x64xf32>
    %10 = tensor.empty() : tensor<1x64xf32>
    %11 = linalg.fill ins(%cst : f32) outs(%10 : tensor<1x64xf32>) -> tensor<1x64xf32>
    %12 = linalg.matmul ins(%collapsed, %transposed : tensor<1x64xf32>, tensor<64x64xf32>) outs(%11 : tensor<1x64xf32>) -> tensor<1x64xf32>
    %expanded_3 = tensor.expand_shape %12 [[0], [1, 2, 3]] output_shape [1, 1, 4, 16] : tensor<1x64xf32> into tensor<1x1x4x16xf32>
    %13 = tensor.empty() : tensor<1x4x1x16xf32>
    %transposed_4 = linalg.transpose ins(%expanded_3 : tensor<1x1x4x16xf32>) outs(%13 : tensor<1x4x1x16xf32>) permutation = [0, 2, 1, 3] 
    %14 = tensor.empty() : tensor<64x32xf32>
    %transposed_5 = linalg.transpose ins(%arg4 : tensor<32x64xf32>) outs(%14 : tensor<64x32xf32>) permutation = [1, 0] 
    %15 = tensor.empty() : tensor<1x32xf32>
    %16 = linalg.fill ins(%cst : f32) outs(%15 : tensor<1x32xf32>) -> tensor<1x32xf32>
    %17 = linalg.matmul ins(%collapsed, %transposed_5 : tensor<1x64xf32>, tensor<64x32xf32>) outs(%16 : tensor<1x32xf32>) -> tensor<1x32xf32>
    %expanded_6 = tensor.expand_shape %17 [[0], [1, 2, 3]] output_shape [1, 1, 2, 16] : tensor<1x32xf32> into tensor<1x1x2x16xf32>
    %18 = tensor.empty() : tensor<1x2x1x16xf32>
    %transposed_7 = linalg.transpose ins(%expanded_6 : tensor<1x1x2x16xf32>) outs(%18 : tensor<1x2x1x16xf32>) permutation = [0, 2, 1, 3] 
    %transposed_8 = linalg.transpose ins(%arg5 : tensor<32x64xf32>) outs(%14 : tensor<64x32xf32>) permutation = [1, 0] 
    %19 = linalg.matmul ins(%collapsed, %transposed_8 : tensor<1x64xf32>, tensor<64x32xf32>) outs(%16 : tensor<1x32xf32>) -> tensor<1x32xf32>
    %expanded_9 = tensor.expand_shape %19 [[0], [1, 2, 3]] output_shape [1, 1, 2, 16] : tensor<1x32xf32> into tensor<1x1x2x16xf32>
    %transposed_10 = linalg.transpose ins(%expanded_9 : tensor<1x1x2x16xf32>) outs(%18 : tensor<1x2x1x16xf32>) permutation = [0, 2, 1, 3] 
    %expanded_11 = tensor.expand_shape %7 [[0], [1, 2], [3]] output_shape [1, 1, 1, 16] : tensor<1x1x16xf32> into tensor<1x1x1x16xf32>
    %expanded_12 = tensor.expand_shape %8 [[0], [1, 2], [3]] output_shape [1, 1, 1, 16] : tensor<1x1x16xf32> into tensor<1x1x1x16xf32>
    %20 = linalg.generic {indexing_maps = [#map4, #map5, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%transposed_4, %expanded_11 : tensor<1x4x1x16xf32>, tensor<1x1x1x16xf32>) outs(%13 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.mulf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x16xf32>
    %extracted_slice = tensor.extract_slice %transposed_4[0, 0, 0, 0] [1, 4, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x16xf32> to tensor<1x4x1x8xf32>
    %extracted_slice_13 = tensor.extract_slice %transposed_4[0, 0, 0, 8] [1, 4, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x16xf32> to tensor<1x4x1x8xf32>
    %21 = tensor.empty() : tensor<1x4x1x8xf32>
    %22 = linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_13 : tensor<1x4x1x8xf32>) outs(%21 : tensor<1x4x1x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %52 = arith.negf %in : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x8xf32>
    %concat_14 = tensor.concat dim(3) %22, %extracted_slice : (tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x1x16xf32>
    %23 = linalg.generic {indexing_maps = [#map4, #map5, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%concat_14, %expanded_12 : tensor<1x4x1x16xf32>, tensor<1x1x1x16xf32>) outs(%13 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.mulf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x16xf32>
    %24 = linalg.generic {indexing_maps = [#map4, #map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%20, %23 : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>) outs(%13 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.addf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x16xf32>
    %25 = linalg.generic {indexing_maps = [#map4, #map5, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%transposed_7, %expanded_11 : tensor<1x2x1x16xf32>, tensor<1x1x1x16xf32>) outs(%18 : tensor<1x2x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.mulf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x2x1x16xf32>
    %extracted_slice_15 = tensor.extract_slice %transposed_7[0, 0, 0, 0] [1, 2, 1, 8] [1, 1, 1, 1] : tensor<1x2x1x16xf32> to tensor<1x2x1x8xf32>
    %extracted_slice_16 = tensor.extract_slice %transposed_7[0, 0, 0, 8] [1, 2, 1, 8] [1, 1, 1, 1] : tensor<1x2x1x16xf32> to tensor<1x2x1x8xf32>
    %26 = tensor.empty() : tensor<1x2x1x8xf32>
    %27 = linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_16 : tensor<1x2x1x8xf32>) outs(%26 : tensor<1x2x1x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %52 = arith.negf %in : f32
      linalg.yield %52 : f32
    } -> tensor<1x2x1x8xf32>
    %concat_17 = tensor.concat dim(3) %27, %extracted_slice_15 : (tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x1x16xf32>
    %28 = linalg.generic {indexing_maps = [#map4, #map5, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%concat_17, %expanded_12 : tensor<1x2x1x16xf32>, tensor<1x1x1x16xf32>) outs(%18 : tensor<1x2x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.mulf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x2x1x16xf32>
    %29 = linalg.generic {indexing_maps = [#map4, #map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%25, %28 : tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>) outs(%18 : tensor<1x2x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.addf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x2x1x16xf32>
    %concat_18 = tensor.concat dim(2) %arg1, %29 : (tensor<1x2x15x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x2x16x16xf32>
    %concat_19 = tensor.concat dim(2) %arg2, %transposed_10 : (tensor<1x2x15x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x2x16x16xf32>
    %30 = tensor.empty() : tensor<1x2x2x16x16xf32>
    %31 = linalg.generic {indexing_maps = [#map6, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%concat_18 : tensor<1x2x16x16xf32>) outs(%30 : tensor<1x2x2x16x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<1x2x2x16x16xf32>
    %collapsed_20 = tensor.collapse_shape %31 [[0], [1, 2], [3], [4]] : tensor<1x2x2x16x16xf32> into tensor<1x4x16x16xf32>
    %32 = linalg.generic {indexing_maps = [#map6, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%concat_19 : tensor<1x2x16x16xf32>) outs(%30 : tensor<1x2x2x16x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<1x2x2x16x16xf32>
    %33 = tensor.empty() : tensor<1x4x16x16xf32>
    %transposed_21 = linalg.transpose ins(%collapsed_20 : tensor<1x4x16x16xf32>) outs(%33 : tensor<1x4x16x16xf32>) permutation = [0, 1, 3, 2] 
    %collapsed_22 = tensor.collapse_shape %24 [[0, 1], [2], [3]] : tensor<1x4x1x16xf32> into tensor<4x1x16xf32>
    %collapsed_23 = tensor.collapse_shape %transposed_21 [[0, 1], [2], [3]] : tensor<1x4x16x16xf32> into tensor<4x16x16xf32>
    %34 = tensor.empty() : tensor<4x1x16xf32>
    %35 = linalg.fill ins(%cst : f32) outs(%34 : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
    %36 = linalg.batch_matmul ins(%collapsed_22, %collapsed_23 : tensor<4x1x16xf32>, tensor<4x16x16xf32>) outs(%35 : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
    %expanded_24 = tensor.expand_shape %36 [[0, 1], [2], [3]] output_shape [1, 4, 1, 16] : tensor<4x1x16xf32> into tensor<1x4x1x16xf32>
    %37 = linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded_24 : tensor<1x4x1x16xf32>) outs(%13 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %52 = arith.mulf %in, %cst_2 : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x16xf32>
    %38 = tensor.empty() : tensor<1x4x1xi64>
    %39 = linalg.fill ins(%c0_i64 : i64) outs(%38 : tensor<1x4x1xi64>) -> tensor<1x4x1xi64>
    %40 = tensor.empty() : tensor<1x4x1xf32>
    %41 = linalg.fill ins(%cst_0 : f32) outs(%40 : tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
    %42:2 = linalg.generic {indexing_maps = [#map4, #map8, #map8], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%37 : tensor<1x4x1x16xf32>) outs(%41, %39 : tensor<1x4x1xf32>, tensor<1x4x1xi64>) {
    ^bb0(%in: f32, %out: f32, %out_33: i64):
      %52 = linalg.index 3 : index
      %53 = arith.index_cast %52 : index to i64
      %54 = arith.maximumf %in, %out : f32
      %55 = arith.cmpf ogt, %in, %out : f32
      %56 = arith.select %55, %53, %out_33 : i64
      linalg.yield %54, %56 : f32, i64
    } -> (tensor<1x4x1xf32>, tensor<1x4x1xi64>)
    %expanded_25 = tensor.expand_shape %42#0 [[0], [1], [2, 3]] output_shape [1, 4, 1, 1] : tensor<1x4x1xf32> into tensor<1x4x1x1xf32>
    %43 = linalg.generic {indexing_maps = [#map4, #map9, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%37, %expanded_25 : tensor<1x4x1x16xf32>, tensor<1x4x1x1xf32>) outs(%13 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.subf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x16xf32>
    %44 = linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%43 : tensor<1x4x1x16xf32>) outs(%13 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %52 = math.exp %in : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x16xf32>
    %45 = tensor.empty() : tensor<1x4x1x1xf32>
    %46 = linalg.fill ins(%cst : f32) outs(%45 : tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
    %47 = linalg.generic {indexing_maps = [#map4, #map9], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%44 : tensor<1x4x1x16xf32>) outs(%46 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %52 = arith.addf %in, %out : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x1xf32>
    %48 = linalg.generic {indexing_maps = [#map4, #map9, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%44, %47 : tensor<1x4x1x16xf32>, tensor<1x4x1x1xf32>) outs(%13 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_33: f32, %out: f32):
      %52 = arith.divf %in, %in_33 : f32
      linalg.yield %52 : f32
    } -> tensor<1x4x1x16xf32>
    %collapsed_26 = tensor.collapse_shape %48 [[0, 1], [2], [3]] : tensor<1x4x1x16xf32> into tensor<4x1x16xf32>
    %collapsed_27 = tensor.collapse_shape %32 [[0, 1, 2], [3], [4]] : tensor<1x2x2x16x16xf32> into tensor<4x16x16xf32>
    %49 = linalg.batch_matmul ins(%collapsed_26, %collapsed_27 : tensor<4x1x16xf32>, tensor<4x16x16xf32>) outs(%35 : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
    %expanded_28 = tensor.expand_shape %49 [[0, 1], [2], [3]] output_shape [1, 4, 1, 16] : tensor<4x1x16xf32> into tensor<1x4x1x16xf32>
    %50 = tensor.empty() : tensor<1x1x4x16xf32>
    %transposed_29 = linalg.transpose ins(%expanded_28 : tensor<1x4x1x16xf32>) outs(%50 : tensor<1x1x4x16xf32>) permutation = [0, 2, 1, 3] 
    %transposed_30 = linalg.transpose ins(%arg6 : tensor<64x64xf32>) outs(%9 : tensor<64x64xf32>) permutation = [1, 0] 
    %collapsed_31 = tensor.collapse_shape %transposed_29 [[0], [1, 2, 3]] : tensor<1x1x4x16xf32> into tensor<1x64xf32>
    %51 = linalg.matmul ins(%collapsed_31, %transposed_30 : tensor<1x64xf32>, tensor<64x64xf32>) outs(%11 : tensor<1x64xf32>) -> tensor<1x64xf32>
    %expanded_32 = tensor.expand_shape %51 [[0], [1, 2]] output_shape [1, 1, 64] : tensor<1x64xf32> into tensor<1x1x64xf32>
    return %expanded_32 : tensor<1x1x64xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      torch_tensor_8_torch.float32: "0x040000000000803F9BE8A13ECDCCCC3DE386013D0AD7233C383E4F3B6F12833A60CBA539"
    }
  }
#-}
