// RUN: attn-opt %s --attn-inline-strided-copies --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-inline-strided-copies=contiguous=1 --split-input-file | FileCheck %s --check-prefix=ALL

// A KV cache copied into a strided slice of the concatenated cache (as
// bufferization leaves tensor.concat): linalg.copy, which becomes loops,
// not a call of the runtime's element-by-element memrefCopy.

// CHECK-LABEL: func.func @cache_into_slice
// CHECK-NOT:   memref.copy
// CHECK:       linalg.copy ins(%arg0 : memref<1x8x16x64xf32>) outs(%{{.*}} : memref<1x8x16x64xf32, strided<[8704, 1088, 64, 1]>>)
func.func @cache_into_slice(%cache: memref<1x8x16x64xf32>, %all: memref<1x8x17x64xf32>) {
  %s = memref.subview %all[0, 0, 0, 0] [1, 8, 16, 64] [1, 1, 1, 1] : memref<1x8x17x64xf32> to memref<1x8x16x64xf32, strided<[8704, 1088, 64, 1]>>
  memref.copy %cache, %s : memref<1x8x16x64xf32> to memref<1x8x16x64xf32, strided<[8704, 1088, 64, 1]>>
  return
}

// -----

// Contiguous copies stay memref.copy (a memcpy); so do dynamic shapes.

// With contiguous=1 (the GPU pipeline: host code cannot copy device
// buffers) every statically shaped copy becomes linalg.copy, a kernel.

// CHECK-LABEL: func.func @contiguous
// ALL-LABEL:   func.func @contiguous
// ALL:         linalg.copy ins(%arg0 : memref<4x64xf32>) outs(%arg1 : memref<4x64xf32>)
// ALL:         linalg.copy ins(%{{.*}} : memref<2x64xf32>) outs(%{{.*}} : memref<2x64xf32, strided<[64, 1], offset: 128>>)
// ALL:         memref.copy %arg2, %arg3 : memref<?x64xf32> to memref<?x64xf32, strided<[128, 1]>>
// CHECK:       memref.copy %arg0, %arg1 : memref<4x64xf32> to memref<4x64xf32>
// CHECK:       memref.copy %{{.*}}, %{{.*}} : memref<2x64xf32> to memref<2x64xf32, strided<[64, 1], offset: 128>>
// CHECK:       memref.copy %arg2, %arg3 : memref<?x64xf32> to memref<?x64xf32, strided<[128, 1]>>
// CHECK-NOT:   linalg.copy
func.func @contiguous(%a: memref<4x64xf32>, %b: memref<4x64xf32>, %c: memref<?x64xf32>, %d: memref<?x64xf32, strided<[128, 1]>>) {
  memref.copy %a, %b : memref<4x64xf32> to memref<4x64xf32>
  %rows = memref.subview %a[0, 0] [2, 64] [1, 1] : memref<4x64xf32> to memref<2x64xf32, strided<[64, 1]>>
  %dst = memref.subview %b[2, 0] [2, 64] [1, 1] : memref<4x64xf32> to memref<2x64xf32, strided<[64, 1], offset: 128>>
  %src = memref.alloc() : memref<2x64xf32>
  memref.copy %src, %dst : memref<2x64xf32> to memref<2x64xf32, strided<[64, 1], offset: 128>>
  memref.dealloc %src : memref<2x64xf32>
  memref.copy %c, %d : memref<?x64xf32> to memref<?x64xf32, strided<[128, 1]>>
  return
}
