/// Tensor aliases shared by every part of reglab.
///
/// All numeric buffers are xtensor containers with row-major (C) storage. Hot loops work on
/// `.data()` directly and matrix products go through cblas; activations are stored batch-major
/// (one row per sample). Buffers are allocated with a fixed row capacity and the first `n` rows
/// hold the current batch, so a training step never reallocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <xtensor/xtensor.hpp>

namespace reglab {

/// A batch-major matrix of activations, gradients or 2-D parameters (rows x columns).
using Matrix = xt::xtensor<float, 2>;
/// A flat float vector: parameter storage, biases, running statistics.
using Vector = xt::xtensor<float, 1>;
/// Images as stored in memory: one uint8 row per sample, converted to float per batch.
using ByteMatrix = xt::xtensor<std::uint8_t, 2>;
/// Class labels, one per sample.
using LabelVector = xt::xtensor<std::uint8_t, 1>;

/// Whether a layer is used for training (stochastic regularizers active, batch statistics, what
/// backward needs kept), for evaluation (identity dropout, running statistics), or for one
/// sample of Monte-Carlo evaluation: stochastic regularizers draw as in training, everything else
/// behaves as in evaluation (running statistics), and no backward follows (Srivastava et al.
/// 2014, "Dropout", JMLR, Section 7.5).
enum class Mode { kTrain, kEval, kSample };

}  // namespace reglab
