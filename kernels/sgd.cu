// Rust op: src/train/sgd.rs (sgd_step). Elements are independent; no
// reduction. Per element, in the CPU's order, with the CPU's fused
// multiply-adds written as fmaf (the module is compiled with --fmad=false so
// nothing else is fused; the lone product buf*mu is rounded with __fmul_rn):
// 1. d = fmaf(wd, p, g) when has_wd (weight_decay != 0 in f64), else d = g;
// 2. has_momentum: first_step: buf = d; else buf = fmaf(keep, d, buf*mu)
//    (keep = 1 - dampening in f64, rounded); then d = fmaf(mu, buf, d) with
//    Nesterov, else d = buf;
// 3. p = fmaf(neg_lr, d, p).
// All scalars are converted from f64 to float on the host, once, as the CPU
// does. Bit-identical to the CPU reference.

extern "C" __global__ void sgd_step_f32(float* param, const float* grad, float* buf, float wd,
                                        float mu, float keep, float neg_lr, int has_wd,
                                        int has_momentum, int first_step, int nesterov,
                                        unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        float p = param[i];
        float d = has_wd ? fmaf(wd, p, grad[i]) : grad[i];
        if (has_momentum) {
            float b = first_step ? d : fmaf(keep, d, __fmul_rn(buf[i], mu));
            buf[i] = b;
            d = nesterov ? fmaf(mu, b, d) : b;
        }
        param[i] = fmaf(neg_lr, d, p);
    }
}
