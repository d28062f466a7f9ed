// Rust op: src/ops/gemm (gemm), under linear and the exact mode's matrix
// products. Exact mode: C = [C +] A·B with one thread per element of C and
// one sequential chain acc = fmaf(A[i][p], B[p][j], acc) over p ascending,
// starting from +0 (or from C[i][j] when accumulate != 0): the CPU's order,
// so bit-identical to the CPU reference (fast mode runs cuBLAS instead).
// Operands are strided (element (r, c) at data[r*rs + c*cs]), so a
// transpose is a stride swap, as `MatRef::t` on the CPU. C is row-major,
// contiguous, rows(A) x cols(B).

struct MatLayout {
    unsigned long long rows, cols, rs, cs;
};

extern "C" __global__ void gemm_exact_f32(const float* a, MatLayout la, const float* b,
                                          MatLayout lb, float* c, int accumulate) {
    unsigned long long m = la.rows, k = la.cols, n = lb.cols;
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < m * n; e += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long i = e / n, j = e % n;
        float acc = accumulate ? c[e] : 0.0f;
        for (unsigned long long p = 0; p < k; ++p)
            acc = fmaf(a[i * la.rs + p * la.cs], b[p * lb.rs + j * lb.cs], acc);
        c[e] = acc;
    }
}
