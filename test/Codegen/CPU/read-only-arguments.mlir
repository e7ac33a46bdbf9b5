// RUN: attn-opt %s --attn-read-only-arguments --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-read-only-arguments --one-shot-bufferize=bufferize-function-boundaries --split-input-file | FileCheck %s --check-prefix=BUF

// Tensor arguments of public functions are marked read-only; scalars and
// private functions are left alone.

// CHECK-LABEL: func.func @accumulate
// CHECK-SAME:    (%{{.*}}: tensor<8xf32> {bufferization.writable = false}, %{{.*}}: tensor<8xf32> {bufferization.writable = false}, %{{.*}}: f32)
// BUF-LABEL:   func.func @accumulate
// BUF-SAME:      (%[[X:.*]]: memref<8xf32{{.*}}>, %[[ACC:.*]]: memref<8xf32{{.*}}>
// BUF:           %[[OWN:.*]] = memref.alloc() {{.*}} : memref<8xf32>
// BUF:           memref.copy %[[ACC]], %[[OWN]]
// BUF:           linalg.generic {{.*}} ins(%[[X]] : {{.*}}) outs(%[[OWN]] : memref<8xf32>)
// BUF:           return %[[OWN]]
func.func @accumulate(%x: tensor<8xf32>, %acc: tensor<8xf32>, %s: f32) -> tensor<8xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %s : f32
    %y = arith.addf %o, %m : f32
    linalg.yield %y : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func private @helper
// CHECK-SAME:    (%{{.*}}: tensor<8xf32>) -> tensor<8xf32>
// BUF-LABEL:   func.func private @helper
func.func private @helper(%x: tensor<8xf32>) -> tensor<8xf32> {
  return %x : tensor<8xf32>
}
