// RUN: attn-opt %s --attn-openmpi-op-symbols | FileCheck %s

// MLIR 22 names MPI_SUM `ompi_mpi_sum`; OpenMPI defines `ompi_mpi_op_sum`.
// Datatypes and communicators keep their (right) names.
// CHECK-LABEL: module
// CHECK-DAG: llvm.mlir.global external @ompi_mpi_op_sum()
// CHECK-DAG: llvm.mlir.global external @ompi_mpi_op_max()
// CHECK-DAG: llvm.mlir.global external @ompi_mpi_float()
// CHECK-DAG: llvm.mlir.global external @ompi_mpi_comm_world()
// CHECK-NOT: @ompi_mpi_sum
// CHECK: llvm.func @f
// CHECK: llvm.mlir.addressof @ompi_mpi_op_sum
// CHECK: llvm.mlir.addressof @ompi_mpi_op_max
module {
  llvm.mlir.global external @ompi_mpi_sum() {addr_space = 0 : i32} : !llvm.struct<"ompi_predefined_op_t", opaque>
  llvm.mlir.global external @ompi_mpi_max() {addr_space = 0 : i32} : !llvm.struct<"ompi_predefined_op_t", opaque>
  llvm.mlir.global external @ompi_mpi_float() {addr_space = 0 : i32} : !llvm.struct<"ompi_predefined_datatype_t", opaque>
  llvm.mlir.global external @ompi_mpi_comm_world() {addr_space = 0 : i32} : !llvm.struct<"ompi_communicator_t", opaque>
  llvm.func @f() -> !llvm.ptr {
    %sum = llvm.mlir.addressof @ompi_mpi_sum : !llvm.ptr
    %max = llvm.mlir.addressof @ompi_mpi_max : !llvm.ptr
    %float = llvm.mlir.addressof @ompi_mpi_float : !llvm.ptr
    llvm.return %sum : !llvm.ptr
  }
}
