"""Many reads at one conductance state, and warm starts (private).

:class:`_ReadsMixin` is the part of :class:`~cosim.solvers.crossbar.CrossbarSolver`
that exploits linearity: a read of linear cells is linear in the inputs, so

* the full solution of a batch is ``v_in @ basis``, the basis being the node
  voltages of the ``rows`` unit-input reads (:meth:`_read_by_superposition`);
* the outputs alone are ``v_in @ M``, ``M`` (rows, cols) the bit-line currents
  of the unit-input reads, the *transfer matrix* (:meth:`_outputs_linear`),
  from ``min(rows, cols)`` solves: by reciprocity when ``cols < rows``;

both are built once per conductance state and kept with the factors.  It also
keeps the last solution of each bias pattern for warm starts
(:meth:`_solve_linear_warm`).
"""

from __future__ import annotations

import numpy as np


class _ReadsMixin:
    """Needs ``spec``, ``stats``, ``warm_start``, ``_warm``, ``_basis``, ``_transfer``,
    ``_factor_for`` and ``_solve_linear`` of the host solver."""

    #: largest number of values held by the right-hand sides of one block of unit solves
    UNIT_BLOCK_VALUES = 2**21
    #: warm-start solutions kept (bias patterns x line voltages), oldest dropped first
    WARM_MAX = 32

    #: largest superposition basis kept (rows x 2 x rows x cols values)
    BASIS_MAX_VALUES = 2**24

    def _read_by_superposition(self, net, g_eff, v_wl):
        """Reads of linear cells are linear in the inputs: node voltages = v_in @ basis.

        The basis (the response to each unit input) costs ``rows`` solves, so
        it is built only for a batch of at least ``rows`` reads, kept while
        the factorisation is, and then makes any batch one matrix product.
        Returns None when it does not pay.
        """
        rows, cols = self.spec.shape
        batch = v_wl.shape[0]
        factor = self._factor_for(net, g_eff)
        have = self._basis is not None and self._basis[0] is factor
        if not have and (batch < rows or 2 * rows * rows * cols > self.BASIS_MAX_VALUES):
            return None
        if not have:
            vw1, vb1 = self._solve_linear(net, g_eff, np.eye(rows), np.zeros((rows, cols)))
            self._basis = (factor, vw1.reshape(rows, -1), vb1.reshape(rows, -1))
            self.stats["bases"] += 1
        _, phi_w, phi_b = self._basis
        vw = (v_wl @ phi_w).reshape(batch, rows, cols)
        vb = (v_wl @ phi_b).reshape(batch, rows, cols)
        return vw, vb

    def _unit_responses(self, net, g_eff, reduce):
        """``reduce(vw, vb)`` of the unit-input reads, stacked: one block of unit inputs at a time."""
        rows, cols = self.spec.shape
        block = max(1, min(rows, self.UNIT_BLOCK_VALUES // (rows * cols)))
        eye = np.eye(rows)
        parts = []
        for k in range(0, rows, block):
            vw, vb = self._solve_linear(net, g_eff, eye[k : k + block], np.zeros((min(block, rows - k), cols)))
            parts.append(reduce(vw, vb))
        return np.concatenate(parts)

    def _outputs_linear(self, net, g_eff, v_wl):
        """Bit-line currents (batch, cols) of reads ``v_wl`` (batch, rows) of linear cells."""
        rows, cols = self.spec.shape
        batch = v_wl.shape[0]
        factor = self._factor_for(net, g_eff)
        have = self._transfer is not None and self._transfer[0] is factor
        if not have and self._basis is not None and self._basis[0] is factor:
            # the full basis already holds every unit response
            _, phi_w, phi_b = self._basis
            m = (g_eff * (phi_w - phi_b).reshape(rows, *g_eff.shape)).sum(axis=1)
            self._transfer, have = (factor, m), True
        if not have and batch >= min(rows, cols):
            if cols < rows:
                m = self._adjoint_transfer(net, g_eff)
            else:
                # a bit line's sense current is the sum of its cell currents (KCL on the whole line)
                m = self._unit_responses(net, g_eff, lambda vw, vb: (g_eff * (vw - vb)).sum(axis=1))
            self._transfer, have = (factor, m), True
            self.stats["transfers"] += 1
        if have:
            return v_wl @ self._transfer[1]
        vw, vb = self._solve_linear_warm(net, g_eff, v_wl, np.zeros((batch, self.spec.cols)))
        return (g_eff * (vw - vb)).sum(axis=1)

    def _adjoint_transfer(self, net, g_eff):
        """Transfer matrix (rows, cols) from ``cols`` solves, by reciprocity.

        The array is a reciprocal network and its driver and sense ends are
        ports held at source voltages, so its short-circuit admittances are
        symmetric: the sense current of bit line ``j`` per volt on word line
        ``i`` (every other port at 0 V) equals minus the current word line
        ``i``'s driver delivers when bit line ``j``'s sense end is at 1 V and
        every word line at 0 V.  That driver current is the sum of the word
        line's cell currents (KCL on the whole line).
        """
        rows, cols = self.spec.shape
        block = max(1, min(cols, self.UNIT_BLOCK_VALUES // (rows * cols)))
        eye = np.eye(cols)
        parts = []
        for k in range(0, cols, block):
            n = min(block, cols - k)
            vw, vb = self._solve_linear(net, g_eff, np.zeros((n, rows)), eye[k : k + n])
            parts.append(-(g_eff * (vw - vb)).sum(axis=2))  # (n, rows): column k.. of M
        return np.concatenate(parts).T

    def _solve_linear_warm(self, net, g_eff, v_wl, v_bl):
        """:meth:`_solve_linear`, started from the last solution of the same network and line voltages
        when ``warm_start`` is on (the stopping rule is unchanged)."""
        if not self.warm_start:
            return self._solve_linear(net, g_eff, v_wl, v_bl)
        key = (net, v_wl.shape, v_wl.tobytes(), v_bl.tobytes())
        vw, vb = self._solve_linear(net, g_eff, v_wl, v_bl, x0_b=self._warm.get(key))
        if key not in self._warm and len(self._warm) >= self.WARM_MAX:
            self._warm.pop(next(iter(self._warm)))
        # a copy: the caller may change the returned arrays in place
        self._warm[key] = np.array(vb)
        return vw, vb
