//! [`Counting`]'s trait impls: every method forwards to the inner backend
//! unchanged and tallies the flops of the module doc's convention.

use std::borrow::Cow;

use ndarray::{Array1, Array2, Array4};

use super::*;

impl<B: BackendCore> BackendCore for Counting<B> {
    type Elem = B::Elem;
    type T1 = B::T1;
    type T2 = B::T2;
    type T4 = B::T4;

    fn arithmetic(&self) -> String {
        self.inner.arithmetic()
    }
    fn kind(&self) -> BackendKind {
        self.inner.kind()
    }
    fn upload1(&self, host: &Array1<Self::Elem>) -> Self::T1 {
        self.inner.upload1(host)
    }
    fn upload2(&self, host: &Array2<Self::Elem>) -> Self::T2 {
        self.inner.upload2(host)
    }
    fn upload4(&self, host: &Array4<Self::Elem>) -> Self::T4 {
        self.inner.upload4(host)
    }
    fn download1(&self, t: &Self::T1) -> Array1<Self::Elem> {
        self.inner.download1(t)
    }
    fn download2(&self, t: &Self::T2) -> Array2<Self::Elem> {
        self.inner.download2(t)
    }
    fn download4(&self, t: &Self::T4) -> Array4<Self::Elem> {
        self.inner.download4(t)
    }
    fn host_slice<'a>(&self, t: TensorRef<'a, Self>) -> Cow<'a, [Self::Elem]> {
        self.inner.host_slice(inner_ref(t))
    }
    fn write_host(&self, t: TensorMut<'_, Self>, values: &[Self::Elem]) {
        self.inner.write_host(inner_mut(t), values)
    }
    fn dims1(&self, t: &Self::T1) -> usize {
        self.inner.dims1(t)
    }
    fn dims2(&self, t: &Self::T2) -> (usize, usize) {
        self.inner.dims2(t)
    }
    fn dims4(&self, t: &Self::T4) -> Dims4 {
        self.inner.dims4(t)
    }
    fn zeros1(&self, n: usize) -> Self::T1 {
        self.inner.zeros1(n)
    }
    fn zeros2(&self, dims: (usize, usize)) -> Self::T2 {
        self.inner.zeros2(dims)
    }
    fn zeros4(&self, dims: Dims4) -> Self::T4 {
        self.inner.zeros4(dims)
    }
    fn rows_to_nchw(&self, t: Self::T2) -> Self::T4 {
        self.inner.rows_to_nchw(t)
    }
    fn nchw_to_rows(&self, t: Self::T4) -> Self::T2 {
        self.inner.nchw_to_rows(t)
    }
    fn recycle4(&self, t: Self::T4) {
        self.inner.recycle4(t)
    }
    fn release_buffers(&self) {
        self.inner.release_buffers()
    }
}

impl<B: ConvOps> ConvOps for Counting<B> {
    fn conv2d_forward(&self, x: &Self::T4, w: &Self::T4, p: &Conv2dParams) -> Self::T4 {
        self.conv(self.inner.dims4(x), self.inner.dims4(w).0, p);
        self.inner.conv2d_forward(x, w, p)
    }
    fn conv2d_backward_data(
        &self,
        dy: &Self::T4,
        w: &Self::T4,
        p: &Conv2dParams,
        hw: (usize, usize),
    ) -> Self::T4 {
        let (c_out, c_in_g, _, _) = self.inner.dims4(w);
        let n = self.inner.dims4(dy).0;
        self.conv((n, c_in_g * p.groups, hw.0, hw.1), c_out, p);
        self.inner.conv2d_backward_data(dy, w, p, hw)
    }
    fn conv2d_backward_filter(&self, x: &Self::T4, dy: &Self::T4, p: &Conv2dParams) -> Self::T4 {
        self.conv(self.inner.dims4(x), self.inner.dims4(dy).1, p);
        self.inner.conv2d_backward_filter(x, dy, p)
    }
}

impl<B: BatchNormOps> BatchNormOps for Counting<B> {
    type BatchNormCache = B::BatchNormCache;
    fn batch_norm_train_forward(
        &self,
        x: &Self::T4,
        gamma: &Self::T1,
        beta: &Self::T1,
        running_mean: &mut Self::T1,
        running_var: &mut Self::T1,
        p: &BatchNormParams,
    ) -> (Self::T4, Self::BatchNormCache) {
        self.tally(Some(OpClass::BatchNorm), 8 * self.n4(x));
        self.inner
            .batch_norm_train_forward(x, gamma, beta, running_mean, running_var, p)
    }
    fn batch_norm_eval_forward(
        &self,
        x: &Self::T4,
        gamma: &Self::T1,
        beta: &Self::T1,
        running_mean: &Self::T1,
        running_var: &Self::T1,
        p: &BatchNormParams,
    ) -> Self::T4 {
        self.tally(Some(OpClass::BatchNorm), 4 * self.n4(x));
        self.inner
            .batch_norm_eval_forward(x, gamma, beta, running_mean, running_var, p)
    }
    fn batch_norm_backward(
        &self,
        dy: &Self::T4,
        gamma: &Self::T1,
        cache: &Self::BatchNormCache,
    ) -> (Self::T4, Self::T1, Self::T1) {
        self.tally(Some(OpClass::BatchNorm), 9 * self.n4(dy));
        self.inner.batch_norm_backward(dy, gamma, cache)
    }
}

impl<B: PoolOps> PoolOps for Counting<B> {
    type PoolIndex = B::PoolIndex;
    fn max_pool2d_forward(&self, x: &Self::T4, p: &PoolParams) -> (Self::T4, Self::PoolIndex) {
        let out = self.inner.max_pool2d_forward(x, p);
        self.tally(Some(OpClass::Pool), self.n4(&out.0) * p.kernel * p.kernel);
        out
    }
    fn max_pool2d_backward(
        &self,
        dy: &Self::T4,
        index: &Self::PoolIndex,
        hw: (usize, usize),
    ) -> Self::T4 {
        let dx = self.inner.max_pool2d_backward(dy, index, hw);
        self.tally(Some(OpClass::Pool), self.n4(&dx));
        dx
    }
    fn avg_pool2d_forward(&self, x: &Self::T4, p: &PoolParams) -> Self::T4 {
        let y = self.inner.avg_pool2d_forward(x, p);
        self.tally(Some(OpClass::Pool), self.n4(&y) * (p.kernel * p.kernel + 1));
        y
    }
    fn avg_pool2d_backward(&self, dy: &Self::T4, p: &PoolParams, hw: (usize, usize)) -> Self::T4 {
        let dx = self.inner.avg_pool2d_backward(dy, p, hw);
        self.tally(Some(OpClass::Pool), self.n4(&dx));
        dx
    }
    fn global_avg_pool_forward(&self, x: &Self::T4) -> Self::T2 {
        let (n, c, _, _) = self.inner.dims4(x);
        self.tally(Some(OpClass::Pool), self.n4(x) + n * c);
        self.inner.global_avg_pool_forward(x)
    }
    fn global_avg_pool_backward(&self, dy: &Self::T2, hw: (usize, usize)) -> Self::T4 {
        let (n, c) = self.inner.dims2(dy);
        self.tally(Some(OpClass::Pool), n * c * hw.0 * hw.1);
        self.inner.global_avg_pool_backward(dy, hw)
    }
}

impl<B: ElementwiseOps> ElementwiseOps for Counting<B> {
    type ReluMask = B::ReluMask;
    fn relu_forward_masked(&self, x: &Self::T4) -> (Self::T4, Self::ReluMask) {
        self.tally(Some(OpClass::Relu), self.n4(x));
        self.inner.relu_forward_masked(x)
    }
    fn relu_backward_masked(&self, mask: &Self::ReluMask, dy: &Self::T4) -> Self::T4 {
        self.tally(Some(OpClass::Relu), self.n4(dy));
        self.inner.relu_backward_masked(mask, dy)
    }
    fn relu_forward(&self, x: &Self::T4) -> Self::T4 {
        self.tally(Some(OpClass::Relu), self.n4(x));
        self.inner.relu_forward(x)
    }
    fn relu_backward(&self, x: &Self::T4, dy: &Self::T4) -> Self::T4 {
        self.tally(Some(OpClass::Relu), self.n4(dy));
        self.inner.relu_backward(x, dy)
    }
    fn drop_path_forward(&self, x: &Self::T4, keep: &[bool], drop_prob: f64) -> Self::T4 {
        self.tally(None, self.n4(x));
        self.inner.drop_path_forward(x, keep, drop_prob)
    }
    fn drop_path_backward(&self, dy: &Self::T4, keep: &[bool], drop_prob: f64) -> Self::T4 {
        self.tally(None, self.n4(dy));
        self.inner.drop_path_backward(dy, keep, drop_prob)
    }
    fn zero_forward(&self, x: &Self::T4, stride: usize) -> Self::T4 {
        self.inner.zero_forward(x, stride)
    }
    fn add(&self, a: &Self::T4, b: &Self::T4) -> Self::T4 {
        self.tally(None, self.n4(a));
        self.inner.add(a, b)
    }
    fn add_assign(&self, acc: TensorMut<'_, Self>, g: TensorRef<'_, Self>) {
        let g = inner_ref(g);
        self.tally(None, self.n_any(g));
        self.inner.add_assign(inner_mut(acc), g)
    }
}

impl<B: LayoutOps> LayoutOps for Counting<B> {
    fn concat_channels(&self, xs: &[&Self::T4]) -> Self::T4 {
        self.inner.concat_channels(xs)
    }
    fn split_channels(&self, dy: &Self::T4, channels: &[usize]) -> Vec<Self::T4> {
        self.inner.split_channels(dy, channels)
    }
    fn crop_top_left(&self, x: &Self::T4) -> Self::T4 {
        self.inner.crop_top_left(x)
    }
    fn shift_add(&self, acc: &mut Self::T4, g: &Self::T4) {
        self.tally(None, self.n4(g));
        self.inner.shift_add(acc, g)
    }
}

impl<B: MatmulOps> MatmulOps for Counting<B> {
    fn linear_forward(&self, x: &Self::T2, w: &Self::T2, b: &Self::T1) -> Self::T2 {
        let (n, _) = self.inner.dims2(x);
        let (out, inp) = self.inner.dims2(w);
        self.tally(Some(OpClass::Linear), 2 * n * inp * out + n * out);
        self.inner.linear_forward(x, w, b)
    }
    fn linear_backward(
        &self,
        x: &Self::T2,
        w: &Self::T2,
        dy: &Self::T2,
    ) -> (Self::T2, Self::T2, Self::T1) {
        let (n, _) = self.inner.dims2(x);
        let (out, inp) = self.inner.dims2(w);
        self.tally(Some(OpClass::Linear), 4 * n * inp * out + n * out);
        self.inner.linear_backward(x, w, dy)
    }
}

impl<B: LossOps> LossOps for Counting<B> {
    type NtXentCache = B::NtXentCache;
    type PirlNceCache = (B::PirlNceCache, usize);
    type CrossEntropyCache = B::CrossEntropyCache;
    fn nt_xent_forward(
        &self,
        z: &Self::T2,
        temperature: Self::Elem,
    ) -> Result<(Self::Elem, Self::NtXentCache)> {
        let (r, d) = self.inner.dims2(z);
        self.tally(None, 2 * r * r * d + 3 * r * r);
        self.inner.nt_xent_forward(z, temperature)
    }
    fn nt_xent_backward(&self, cache: &Self::NtXentCache, dloss: Self::Elem) -> Self::T2 {
        let dz = self.inner.nt_xent_backward(cache, dloss);
        let (r, d) = self.inner.dims2(&dz);
        self.tally(None, 4 * r * r * d);
        dz
    }
    fn pirl_nce_forward(
        &self,
        view: &Self::T2,
        original: &Self::T2,
        indices: &[usize],
        negatives: &Array2<usize>,
        bank: &MemoryBank<Self::Elem>,
        temperature: Self::Elem,
    ) -> Result<(Self::Elem, Self::PirlNceCache)> {
        let (b, d) = self.inner.dims2(view);
        let k = negatives.ncols();
        let flops = 2 * b * (k + 1) * d + 3 * b * (k + 1);
        self.tally(None, flops);
        let (loss, cache) =
            self.inner
                .pirl_nce_forward(view, original, indices, negatives, bank, temperature)?;
        Ok((loss, (cache, flops)))
    }
    fn pirl_nce_backward(
        &self,
        cache: &Self::PirlNceCache,
        bank: &MemoryBank<Self::Elem>,
        dloss: Self::Elem,
    ) -> Result<(Self::T2, Self::T2)> {
        self.tally(None, 2 * cache.1);
        self.inner.pirl_nce_backward(&cache.0, bank, dloss)
    }
    fn cross_entropy_forward(
        &self,
        logits: &Self::T2,
        labels: &[usize],
        smoothing: Self::Elem,
    ) -> Result<(Self::Elem, Self::CrossEntropyCache)> {
        let (n, c) = self.inner.dims2(logits);
        self.tally(None, 4 * n * c);
        self.inner.cross_entropy_forward(logits, labels, smoothing)
    }
    fn cross_entropy_backward(
        &self,
        cache: &Self::CrossEntropyCache,
        dloss: Self::Elem,
    ) -> Self::T2 {
        let d = self.inner.cross_entropy_backward(cache, dloss);
        let (n, c) = self.inner.dims2(&d);
        self.tally(None, 4 * n * c);
        d
    }
}

impl<B: OptimOps> OptimOps for Counting<B> {
    fn l2_norm(&self, g: TensorRef<'_, Self>) -> Self::Elem {
        let g = inner_ref(g);
        self.tally(None, 2 * self.n_any(g));
        self.inner.l2_norm(g)
    }
    fn scale(&self, g: TensorMut<'_, Self>, coef: Self::Elem) {
        let g = inner_mut(g);
        self.tally(None, self.n_any(g.as_ref()));
        self.inner.scale(g, coef)
    }
    fn sgd_update(
        &self,
        cfg: &SgdConfig,
        param: TensorMut<'_, Self>,
        grad: TensorRef<'_, Self>,
        momentum: &mut Option<Self::T1>,
    ) {
        let grad = inner_ref(grad);
        self.tally(None, 6 * self.n_any(grad));
        self.inner.sgd_update(cfg, inner_mut(param), grad, momentum)
    }
    fn fill_zero(&self, t: TensorMut<'_, Self>) {
        self.inner.fill_zero(inner_mut(t))
    }
}
