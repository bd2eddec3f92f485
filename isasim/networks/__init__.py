"""Network runner: a network described as data (layers with shapes and precisions, HWC) runs layer
by layer on a target, checked bit-exactly against a numpy golden model of the whole network.

* :mod:`.spec` - the description (``{name, input: [H, W, C], layers: [...]}``), validation and
  shape inference (one-line errors naming the network and layer).
* :mod:`.golden` - seeded random weights on the n-bit VQ grid (or 8-bit), data-driven shifts and the
  forward pass (every intermediate tensor).
* :mod:`.memory` - buffers per layer (weights in the target's storage format, activations, scratch),
  placement in the target's memories, peak RAM, and the refusal of a network that does not fit
  (one line naming the layer and the buffer).
* :mod:`.cm7` - the Cortex-M7 kernel table (compiled CMSIS-NN-style kernels,
  kernels_asm/cm7/nn/) and the per-layer program's data; a second target (gap8) would add a module
  with the same two functions (``layer_kernel``, ``layer_data``) and its own memory table.
* :mod:`.workload` - the experiment workload generator: one point = one layer of a network, its
  input being the golden model's tensor of the previous layer(s), so a network whose every layer is
  bit-exact is bit-exact end to end.
* :mod:`.zoo` - published network shapes (sources in each entry).
"""
