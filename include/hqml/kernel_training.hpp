#pragma once
// Training feature-map parameters θ of quantum kernels: kernel-target alignment and qiskit-machine-learning's SVC
// loss as objectives, exact parameter-shift gradients of the fidelity kernel, SPSA and gradient descent / Adam,
// and train_kernel() tying them together.

#include <hqml/kernel_training/losses.hpp>
#include <hqml/kernel_training/optimizers.hpp>
#include <hqml/kernel_training/parameter_shift.hpp>
#include <hqml/kernel_training/trainer.hpp>
