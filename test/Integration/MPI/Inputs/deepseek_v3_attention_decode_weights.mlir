// Exported by utils/export_models.py (deepseek_v3_attention_decode_weights) with torch 2.15.0+cu132; inputs deepseek_v3_attention_decode_weights.argN.npy, torch's output deepseek_v3_attention_decode_weights.out.npy.
#map = affine_map<(d0) -> (d0)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#map3 = affine_map<(d0, d1, d2) -> (d2)>
#map4 = affine_map<(d0, d1) -> (d0, d1)>
#map5 = affine_map<(d0, d1) -> (d0, 0)>
#map6 = affine_map<(d0, d1) -> ()>
#map7 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map8 = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
#map9 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#map10 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map11 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
module {
  func.func @main(%arg0: tensor<1x1x64xf32>, %arg1: tensor<1x1x15x32xf32>, %arg2: tensor<1x1x15x8xf32>, %arg3: tensor<96x64xf32>, %arg4: tensor<40x64xf32>, %arg5: tensor<32xf32>, %arg6: tensor<128x32xf32>, %arg7: tensor<64x64xf32>) -> tensor<1x1x64xf32> {
    %c2_i64 = arith.constant 2 : i64
    %c15_i64 = arith.constant 15 : i64
    %c0_i64 = arith.constant 0 : i64
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant 0xFF800000 : f32
    %cst_1 = arith.constant dense<-3.40282347E+38> : tensor<f32>
    %cst_2 = arith.constant dense<0.000000e+00> : tensor<f32>
    %cst_3 = arith.constant 0.20412414523193151 : f64
    %cst_4 = arith.constant 9.9999999999999995E-7 : f64
    %cst_5 = arith.constant dense_resource<torch_tensor_4_torch.float32> : tensor<4xf32>
    %cst_6 = arith.constant 3.200000e+01 : f32
    %0 = tensor.empty() : tensor<1xi64>
    %1 = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%0 : tensor<1xi64>) {
    ^bb0(%out: i64):
      linalg.yield %c15_i64 : i64
    } -> tensor<1xi64>
    %expanded = tensor.expand_shape %1 [[0, 1, 2]] output_shape [1, 1, 1] : tensor<1xi64> into tensor<1x1x1xi64>
    %2 = tensor.empty() : tensor<1x1x1xf32>
    %3 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded : tensor<1x1x1xi64>) outs(%2 : tensor<1x1x1xf32>) {
    ^bb0(%in: i64, %out: f32):
      %82 = arith.sitofp %in : i64 to f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1xf32>
    %4 = tensor.empty() : tensor<1x1x4xf32>
    %5 = linalg.generic {indexing_maps = [#map2, #map3, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%3, %cst_5 : tensor<1x1x1xf32>, tensor<4xf32>) outs(%4 : tensor<1x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x4xf32>
    %concat = tensor.concat dim(2) %5, %5 : (tensor<1x1x4xf32>, tensor<1x1x4xf32>) -> tensor<1x1x8xf32>
    %6 = tensor.empty() : tensor<1x1x8xf32>
    %7 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%concat : tensor<1x1x8xf32>) outs(%6 : tensor<1x1x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = math.cos %in : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x8xf32>
    %8 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%concat : tensor<1x1x8xf32>) outs(%6 : tensor<1x1x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = math.sin %in : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x8xf32>
    %9 = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%0 : tensor<1xi64>) {
    ^bb0(%out: i64):
      linalg.yield %c0_i64 : i64
    } -> tensor<1xi64>
    %expanded_7 = tensor.expand_shape %9 [[0, 1]] output_shape [1, 1] : tensor<1xi64> into tensor<1x1xi64>
    %10 = tensor.empty() : tensor<1x1xi64>
    %11 = linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel", "parallel"]} ins(%expanded_7 : tensor<1x1xi64>) outs(%10 : tensor<1x1xi64>) {
    ^bb0(%in: i64, %out: i64):
      %82 = arith.addi %in, %c15_i64 : i64
      linalg.yield %82 : i64
    } -> tensor<1x1xi64>
    %12 = tensor.empty() : tensor<16xi64>
    %13 = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel"]} outs(%12 : tensor<16xi64>) {
    ^bb0(%out: i64):
      %82 = linalg.index 0 : index
      %83 = arith.index_cast %82 : index to i64
      linalg.yield %83 : i64
    } -> tensor<16xi64>
    %expanded_8 = tensor.expand_shape %13 [[0, 1]] output_shape [1, 16] : tensor<16xi64> into tensor<1x16xi64>
    %14 = tensor.empty() : tensor<1x16xi1>
    %15 = linalg.generic {indexing_maps = [#map4, #map5, #map4], iterator_types = ["parallel", "parallel"]} ins(%expanded_8, %11 : tensor<1x16xi64>, tensor<1x1xi64>) outs(%14 : tensor<1x16xi1>) {
    ^bb0(%in: i64, %in_52: i64, %out: i1):
      %82 = arith.cmpi sgt, %in, %in_52 : i64
      linalg.yield %82 : i1
    } -> tensor<1x16xi1>
    %16 = tensor.empty() : tensor<1x16xf32>
    %17 = linalg.generic {indexing_maps = [#map4, #map6, #map6, #map4], iterator_types = ["parallel", "parallel"]} ins(%15, %cst_1, %cst_2 : tensor<1x16xi1>, tensor<f32>, tensor<f32>) outs(%16 : tensor<1x16xf32>) {
    ^bb0(%in: i1, %in_52: f32, %in_53: f32, %out: f32):
      %82 = arith.select %in, %in_52, %in_53 : f32
      linalg.yield %82 : f32
    } -> tensor<1x16xf32>
    %expanded_9 = tensor.expand_shape %17 [[0, 1, 2], [3]] output_shape [1, 1, 1, 16] : tensor<1x16xf32> into tensor<1x1x1x16xf32>
    %18 = tensor.empty() : tensor<64x96xf32>
    %transposed = linalg.transpose ins(%arg3 : tensor<96x64xf32>) outs(%18 : tensor<64x96xf32>) permutation = [1, 0] 
    %collapsed = tensor.collapse_shape %arg0 [[0], [1, 2]] : tensor<1x1x64xf32> into tensor<1x64xf32>
    %19 = tensor.empty() : tensor<1x96xf32>
    %20 = linalg.fill ins(%cst : f32) outs(%19 : tensor<1x96xf32>) -> tensor<1x96xf32>
    %21 = linalg.matmul ins(%collapsed, %transposed : tensor<1x64xf32>, tensor<64x96xf32>) outs(%20 : tensor<1x96xf32>) -> tensor<1x96xf32>
    %expanded_10 = tensor.expand_shape %21 [[0], [1, 2, 3]] output_shape [1, 1, 4, 24] : tensor<1x96xf32> into tensor<1x1x4x24xf32>
    %22 = tensor.empty() : tensor<1x4x1x24xf32>
    %transposed_11 = linalg.transpose ins(%expanded_10 : tensor<1x1x4x24xf32>) outs(%22 : tensor<1x4x1x24xf32>) permutation = [0, 2, 1, 3] 
    %extracted_slice = tensor.extract_slice %transposed_11[0, 0, 0, 0] [1, 4, 1, 16] [1, 1, 1, 1] : tensor<1x4x1x24xf32> to tensor<1x4x1x16xf32>
    %extracted_slice_12 = tensor.extract_slice %transposed_11[0, 0, 0, 16] [1, 4, 1, 8] [1, 1, 1, 1] : tensor<1x4x1x24xf32> to tensor<1x4x1x8xf32>
    %23 = tensor.empty() : tensor<64x40xf32>
    %transposed_13 = linalg.transpose ins(%arg4 : tensor<40x64xf32>) outs(%23 : tensor<64x40xf32>) permutation = [1, 0] 
    %24 = tensor.empty() : tensor<1x40xf32>
    %25 = linalg.fill ins(%cst : f32) outs(%24 : tensor<1x40xf32>) -> tensor<1x40xf32>
    %26 = linalg.matmul ins(%collapsed, %transposed_13 : tensor<1x64xf32>, tensor<64x40xf32>) outs(%25 : tensor<1x40xf32>) -> tensor<1x40xf32>
    %expanded_14 = tensor.expand_shape %26 [[0], [1, 2]] output_shape [1, 1, 40] : tensor<1x40xf32> into tensor<1x1x40xf32>
    %extracted_slice_15 = tensor.extract_slice %expanded_14[0, 0, 0] [1, 1, 32] [1, 1, 1] : tensor<1x1x40xf32> to tensor<1x1x32xf32>
    %extracted_slice_16 = tensor.extract_slice %expanded_14[0, 0, 32] [1, 1, 8] [1, 1, 1] : tensor<1x1x40xf32> to tensor<1x1x8xf32>
    %27 = tensor.empty() : tensor<1x1x32xf32>
    %28 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%extracted_slice_15 : tensor<1x1x32xf32>) outs(%27 : tensor<1x1x32xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = math.fpowi %in, %c2_i64 : f32, i64
      linalg.yield %82 : f32
    } -> tensor<1x1x32xf32>
    %29 = linalg.fill ins(%cst : f32) outs(%2 : tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
    %30 = linalg.generic {indexing_maps = [#map1, #map2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%28 : tensor<1x1x32xf32>) outs(%29 : tensor<1x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = arith.addf %in, %out : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1xf32>
    %31 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%30 : tensor<1x1x1xf32>) outs(%2 : tensor<1x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = arith.divf %in, %cst_6 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1xf32>
    %32 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%31 : tensor<1x1x1xf32>) outs(%2 : tensor<1x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = arith.truncf %cst_4 : f64 to f32
      %83 = arith.addf %in, %82 : f32
      linalg.yield %83 : f32
    } -> tensor<1x1x1xf32>
    %33 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%32 : tensor<1x1x1xf32>) outs(%2 : tensor<1x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = math.rsqrt %in : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1xf32>
    %34 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%extracted_slice_15, %33 : tensor<1x1x32xf32>, tensor<1x1x1xf32>) outs(%27 : tensor<1x1x32xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x32xf32>
    %35 = linalg.generic {indexing_maps = [#map3, #map1, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg5, %34 : tensor<32xf32>, tensor<1x1x32xf32>) outs(%27 : tensor<1x1x32xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x32xf32>
    %expanded_17 = tensor.expand_shape %35 [[0], [1], [2, 3]] output_shape [1, 1, 1, 32] : tensor<1x1x32xf32> into tensor<1x1x1x32xf32>
    %expanded_18 = tensor.expand_shape %extracted_slice_16 [[0], [1], [2, 3]] output_shape [1, 1, 1, 8] : tensor<1x1x8xf32> into tensor<1x1x1x8xf32>
    %extracted_slice_19 = tensor.extract_slice %7[0, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<1x1x8xf32> to tensor<1x1x4xf32>
    %expanded_20 = tensor.expand_shape %extracted_slice_19 [[0], [1, 2], [3]] output_shape [1, 1, 1, 4] : tensor<1x1x4xf32> into tensor<1x1x1x4xf32>
    %extracted_slice_21 = tensor.extract_slice %8[0, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<1x1x8xf32> to tensor<1x1x4xf32>
    %expanded_22 = tensor.expand_shape %extracted_slice_21 [[0], [1, 2], [3]] output_shape [1, 1, 1, 4] : tensor<1x1x4xf32> into tensor<1x1x1x4xf32>
    %extracted_slice_23 = tensor.extract_slice %extracted_slice_12[0, 0, 0, 0] [1, 4, 1, 4] [1, 1, 1, 2] : tensor<1x4x1x8xf32> to tensor<1x4x1x4xf32>
    %extracted_slice_24 = tensor.extract_slice %extracted_slice_12[0, 0, 0, 1] [1, 4, 1, 4] [1, 1, 1, 2] : tensor<1x4x1x8xf32> to tensor<1x4x1x4xf32>
    %extracted_slice_25 = tensor.extract_slice %expanded_18[0, 0, 0, 0] [1, 1, 1, 4] [1, 1, 1, 2] : tensor<1x1x1x8xf32> to tensor<1x1x1x4xf32>
    %extracted_slice_26 = tensor.extract_slice %expanded_18[0, 0, 0, 1] [1, 1, 1, 4] [1, 1, 1, 2] : tensor<1x1x1x8xf32> to tensor<1x1x1x4xf32>
    %36 = tensor.empty() : tensor<1x4x1x4xf32>
    %37 = linalg.generic {indexing_maps = [#map7, #map8, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_23, %expanded_20 : tensor<1x4x1x4xf32>, tensor<1x1x1x4xf32>) outs(%36 : tensor<1x4x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x4xf32>
    %38 = linalg.generic {indexing_maps = [#map7, #map8, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_24, %expanded_22 : tensor<1x4x1x4xf32>, tensor<1x1x1x4xf32>) outs(%36 : tensor<1x4x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x4xf32>
    %39 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%37, %38 : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>) outs(%36 : tensor<1x4x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.subf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x4xf32>
    %40 = linalg.generic {indexing_maps = [#map7, #map8, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_24, %expanded_20 : tensor<1x4x1x4xf32>, tensor<1x1x1x4xf32>) outs(%36 : tensor<1x4x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x4xf32>
    %41 = linalg.generic {indexing_maps = [#map7, #map8, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_23, %expanded_22 : tensor<1x4x1x4xf32>, tensor<1x1x1x4xf32>) outs(%36 : tensor<1x4x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x4xf32>
    %42 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%40, %41 : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>) outs(%36 : tensor<1x4x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.addf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x4xf32>
    %concat_27 = tensor.concat dim(3) %39, %42 : (tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>) -> tensor<1x4x1x8xf32>
    %43 = tensor.empty() : tensor<1x1x1x4xf32>
    %44 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_25, %expanded_20 : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>) outs(%43 : tensor<1x1x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1x4xf32>
    %45 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_26, %expanded_22 : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>) outs(%43 : tensor<1x1x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1x4xf32>
    %46 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%44, %45 : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>) outs(%43 : tensor<1x1x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.subf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1x4xf32>
    %47 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_26, %expanded_20 : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>) outs(%43 : tensor<1x1x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1x4xf32>
    %48 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%extracted_slice_25, %expanded_22 : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>) outs(%43 : tensor<1x1x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.mulf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1x4xf32>
    %49 = linalg.generic {indexing_maps = [#map7, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%47, %48 : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>) outs(%43 : tensor<1x1x1x4xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.addf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x1x1x4xf32>
    %concat_28 = tensor.concat dim(3) %46, %49 : (tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x1x1x8xf32>
    %concat_29 = tensor.concat dim(2) %arg1, %expanded_17 : (tensor<1x1x15x32xf32>, tensor<1x1x1x32xf32>) -> tensor<1x1x16x32xf32>
    %concat_30 = tensor.concat dim(2) %arg2, %concat_28 : (tensor<1x1x15x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x1x16x8xf32>
    %concat_31 = tensor.concat dim(3) %extracted_slice, %concat_27 : (tensor<1x4x1x16xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x1x24xf32>
    %50 = tensor.empty() : tensor<32x128xf32>
    %transposed_32 = linalg.transpose ins(%arg6 : tensor<128x32xf32>) outs(%50 : tensor<32x128xf32>) permutation = [1, 0] 
    %collapsed_33 = tensor.collapse_shape %concat_29 [[0, 1, 2], [3]] : tensor<1x1x16x32xf32> into tensor<16x32xf32>
    %51 = tensor.empty() : tensor<16x128xf32>
    %52 = linalg.fill ins(%cst : f32) outs(%51 : tensor<16x128xf32>) -> tensor<16x128xf32>
    %53 = linalg.matmul ins(%collapsed_33, %transposed_32 : tensor<16x32xf32>, tensor<32x128xf32>) outs(%52 : tensor<16x128xf32>) -> tensor<16x128xf32>
    %expanded_34 = tensor.expand_shape %53 [[0, 1], [2, 3]] output_shape [1, 16, 4, 32] : tensor<16x128xf32> into tensor<1x16x4x32xf32>
    %54 = tensor.empty() : tensor<1x4x16x32xf32>
    %transposed_35 = linalg.transpose ins(%expanded_34 : tensor<1x16x4x32xf32>) outs(%54 : tensor<1x4x16x32xf32>) permutation = [0, 2, 1, 3] 
    %extracted_slice_36 = tensor.extract_slice %transposed_35[0, 0, 0, 0] [1, 4, 16, 16] [1, 1, 1, 1] : tensor<1x4x16x32xf32> to tensor<1x4x16x16xf32>
    %extracted_slice_37 = tensor.extract_slice %transposed_35[0, 0, 0, 16] [1, 4, 16, 16] [1, 1, 1, 1] : tensor<1x4x16x32xf32> to tensor<1x4x16x16xf32>
    %55 = tensor.empty() : tensor<1x4x16x8xf32>
    %collapsed_38 = tensor.collapse_shape %concat_30 [[0, 1], [2], [3]] : tensor<1x1x16x8xf32> into tensor<1x16x8xf32>
    %56 = linalg.generic {indexing_maps = [#map9, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%collapsed_38 : tensor<1x16x8xf32>) outs(%55 : tensor<1x4x16x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<1x4x16x8xf32>
    %57 = tensor.empty() : tensor<1x4x16x24xf32>
    %inserted_slice = tensor.insert_slice %extracted_slice_36 into %57[0, 0, 0, 0] [1, 4, 16, 16] [1, 1, 1, 1] : tensor<1x4x16x16xf32> into tensor<1x4x16x24xf32>
    %inserted_slice_39 = tensor.insert_slice %56 into %inserted_slice[0, 0, 0, 16] [1, 4, 16, 8] [1, 1, 1, 1] : tensor<1x4x16x8xf32> into tensor<1x4x16x24xf32>
    %collapsed_40 = tensor.collapse_shape %concat_31 [[0, 1], [2], [3]] : tensor<1x4x1x24xf32> into tensor<4x1x24xf32>
    %58 = tensor.empty() : tensor<1x4x24x16xf32>
    %transposed_41 = linalg.transpose ins(%inserted_slice_39 : tensor<1x4x16x24xf32>) outs(%58 : tensor<1x4x24x16xf32>) permutation = [0, 1, 3, 2] 
    %collapsed_42 = tensor.collapse_shape %transposed_41 [[0, 1], [2], [3]] : tensor<1x4x24x16xf32> into tensor<4x24x16xf32>
    %59 = tensor.empty() : tensor<4x1x16xf32>
    %60 = linalg.fill ins(%cst : f32) outs(%59 : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
    %61 = linalg.batch_matmul ins(%collapsed_40, %collapsed_42 : tensor<4x1x24xf32>, tensor<4x24x16xf32>) outs(%60 : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
    %expanded_43 = tensor.expand_shape %61 [[0, 1], [2], [3]] output_shape [1, 4, 1, 16] : tensor<4x1x16xf32> into tensor<1x4x1x16xf32>
    %62 = tensor.empty() : tensor<1x4x1x16xf32>
    %63 = linalg.generic {indexing_maps = [#map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded_43 : tensor<1x4x1x16xf32>) outs(%62 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = arith.truncf %cst_3 : f64 to f32
      %83 = arith.mulf %in, %82 : f32
      linalg.yield %83 : f32
    } -> tensor<1x4x1x16xf32>
    %64 = linalg.generic {indexing_maps = [#map7, #map8, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%63, %expanded_9 : tensor<1x4x1x16xf32>, tensor<1x1x1x16xf32>) outs(%62 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.addf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x16xf32>
    %65 = tensor.empty() : tensor<1x4x1xi64>
    %66 = linalg.fill ins(%c0_i64 : i64) outs(%65 : tensor<1x4x1xi64>) -> tensor<1x4x1xi64>
    %67 = tensor.empty() : tensor<1x4x1xf32>
    %68 = linalg.fill ins(%cst_0 : f32) outs(%67 : tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
    %69:2 = linalg.generic {indexing_maps = [#map7, #map10, #map10], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%64 : tensor<1x4x1x16xf32>) outs(%68, %66 : tensor<1x4x1xf32>, tensor<1x4x1xi64>) {
    ^bb0(%in: f32, %out: f32, %out_52: i64):
      %82 = linalg.index 3 : index
      %83 = arith.index_cast %82 : index to i64
      %84 = arith.maximumf %in, %out : f32
      %85 = arith.cmpf ogt, %in, %out : f32
      %86 = arith.select %85, %83, %out_52 : i64
      linalg.yield %84, %86 : f32, i64
    } -> (tensor<1x4x1xf32>, tensor<1x4x1xi64>)
    %expanded_44 = tensor.expand_shape %69#0 [[0], [1], [2, 3]] output_shape [1, 4, 1, 1] : tensor<1x4x1xf32> into tensor<1x4x1x1xf32>
    %70 = linalg.generic {indexing_maps = [#map7, #map11, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%64, %expanded_44 : tensor<1x4x1x16xf32>, tensor<1x4x1x1xf32>) outs(%62 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.subf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x16xf32>
    %71 = linalg.generic {indexing_maps = [#map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%70 : tensor<1x4x1x16xf32>) outs(%62 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = math.exp %in : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x16xf32>
    %72 = tensor.empty() : tensor<1x4x1x1xf32>
    %73 = linalg.fill ins(%cst : f32) outs(%72 : tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
    %74 = linalg.generic {indexing_maps = [#map7, #map11], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%71 : tensor<1x4x1x16xf32>) outs(%73 : tensor<1x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %82 = arith.addf %in, %out : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x1xf32>
    %75 = linalg.generic {indexing_maps = [#map7, #map11, #map7], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%71, %74 : tensor<1x4x1x16xf32>, tensor<1x4x1x1xf32>) outs(%62 : tensor<1x4x1x16xf32>) {
    ^bb0(%in: f32, %in_52: f32, %out: f32):
      %82 = arith.divf %in, %in_52 : f32
      linalg.yield %82 : f32
    } -> tensor<1x4x1x16xf32>
    %collapsed_45 = tensor.collapse_shape %75 [[0, 1], [2], [3]] : tensor<1x4x1x16xf32> into tensor<4x1x16xf32>
    %collapsed_46 = tensor.collapse_shape %extracted_slice_37 [[0, 1], [2], [3]] : tensor<1x4x16x16xf32> into tensor<4x16x16xf32>
    %76 = linalg.batch_matmul ins(%collapsed_45, %collapsed_46 : tensor<4x1x16xf32>, tensor<4x16x16xf32>) outs(%60 : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
    %expanded_47 = tensor.expand_shape %76 [[0, 1], [2], [3]] output_shape [1, 4, 1, 16] : tensor<4x1x16xf32> into tensor<1x4x1x16xf32>
    %77 = tensor.empty() : tensor<1x1x4x16xf32>
    %transposed_48 = linalg.transpose ins(%expanded_47 : tensor<1x4x1x16xf32>) outs(%77 : tensor<1x1x4x16xf32>) permutation = [0, 2, 1, 3] 
    %78 = tensor.empty() : tensor<64x64xf32>
    %transposed_49 = linalg.transpose ins(%arg7 : tensor<64x64xf32>) outs(%78 : tensor<64x64xf32>) permutation = [1, 0] 
    %collapsed_50 = tensor.collapse_shape %transposed_48 [[0], [1, 2, 3]] : tensor<1x1x4x16xf32> into tensor<1x64xf32>
    %79 = tensor.empty() : tensor<1x64xf32>
    %80 = linalg.fill ins(%cst : f32) outs(%79 : tensor<1x64xf32>) -> tensor<1x64xf32>
    %81 = linalg.matmul ins(%collapsed_50, %transposed_49 : tensor<1x64xf32>, tensor<64x64xf32>) outs(%80 : tensor<1x64xf32>) -> tensor<1x64xf32>
    %expanded_51 = tensor.expand_shape %81 [[0], [1, 2]] output_shape [1, 1, 64] : tensor<1x64xf32> into tensor<1x1x64xf32>
    return %expanded_51 : tensor<1x1x64xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      torch_tensor_4_torch.float32: "0x040000000000803FCDCCCC3D0AD7233C6F12833A"
    }
  }
#-}
