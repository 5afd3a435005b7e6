"""Damped Newton's method for non-linear crossbar cells (private).

:class:`_NewtonMixin` is the part of
:class:`~cosim.solvers.crossbar.CrossbarSolver` that solves 1S1R cells and
non-ohmic devices: the cells' internal nodes are eliminated per cell by
:func:`~cosim.solvers._xbar_series.series_split`, and the outer node-voltage
system is solved by damped Newton, each step one linear solve of the host
solver (``self._solve_linear``).
"""

from __future__ import annotations

import numpy as np

from cosim.netlist.crossbar import CrossbarSpecError
from cosim.solvers._xbar_series import _linear_iv, series_split
from cosim.solvers.result import SolverError


class _NewtonMixin:
    """Non-linear cells; needs ``spec``, ``tol``, ``max_newton``, ``_access_g``, ``_solve_linear``, ``_factor_name``."""

    def _cell_iv(self, g_open, bias, device_iv):
        """Cell function ``v_cell -> (i, g_diff, v_device)`` for non-linear cells."""
        spec = self.spec
        open_ = g_open == 0
        dev = device_iv if device_iv is not None else _linear_iv(g_open)
        if device_iv is not None:
            user = device_iv

            def dev(v):  # noqa: F811 - wrap to silence open cells and check the callable
                out = user(v)
                try:
                    i, di = out
                except (TypeError, ValueError):
                    raise CrossbarSpecError(
                        f"device_iv must return a pair (i_a, di_dv_s), got {type(out).__name__}"
                    ) from None
                i = np.broadcast_to(np.asarray(i, dtype=float), np.shape(v))
                di = np.broadcast_to(np.asarray(di, dtype=float), np.shape(v))
                if not (np.isfinite(i).all() and np.isfinite(di).all()):
                    raise SolverError("device_iv returned a non-finite current or conductance")
                return np.where(open_, 0.0, i), np.where(open_, 0.0, di)

        if spec.cell == "1S1R":
            sel = spec.selector

            def second(u):
                return sel.current_a(u), sel.conductance_s(u)

        elif spec.cell == "1T1R":
            second = _linear_iv(np.broadcast_to(self._access_g(bias), g_open.shape))
        else:
            second = None

        last = {}

        def cell(v):
            if second is None:
                i, gd = dev(v)
                return i, gd, v
            # Newton's successive cell voltages are close: start each split from the last one
            i, gd, vd = series_split(v, dev, second, u0=last.get("u"))
            last["u"] = v - vd
            return i, gd, vd

        return cell

    def _solve_nonlinear(self, net, g_open, bias, v_wl, v_bl, device_iv):
        """Damped Newton's method on the node voltages, one batch item at a time.

        Convergence criterion: the largest KCL residual at a free node is at
        most ``1e-9`` of the largest cell current plus the rounding floor of
        the KCL sums (``64 eps`` times the largest sum of absolute terms at a
        node: wire conductance times node voltage, source and cell currents;
        about 1e-15 A for 0.5 ohm wires at 1 V) plus 1e-18 A, **and** the
        largest node-voltage update is at most ``tol * max(1 V, max |source
        voltage|)``, or, once the update is below ``sqrt(tol)`` of that scale,
        it has stopped shrinking (it is then at the linear solver's own noise
        floor and further iterations cannot improve it).  A step that does not
        reduce the residual is halved (up to 40 times).  Not converging in
        ``max_newton`` iterations raises :class:`SolverError`.
        """
        cell = self._cell_iv(g_open, bias, device_iv)
        batch = v_wl.shape[0]
        out = [self._newton_one(net, cell, g_open, v_wl[k : k + 1], v_bl[k : k + 1]) for k in range(batch)]
        vw = np.concatenate([o[0] for o in out])
        vb = np.concatenate([o[1] for o in out])
        i_cell = np.concatenate([o[2] for o in out])
        v_dev = np.concatenate([o[3] for o in out])
        info = {"method": "newton", "newton_iterations": [o[4] for o in out], "linear_solver": self._factor_name()}
        return vw, vb, i_cell, v_dev, info

    def _residual(self, net, cell, vw, vb, v_wl, v_bl):
        """KCL residual (currents leaving each free super node), and the cell currents."""
        x = np.zeros(net.n_super)
        x[net.wid.ravel()] = vw.ravel()
        x[net.bid.ravel()] = vb.ravel()
        i, gd, vdev = cell((vw - vb)[0])
        rhs, _ = net.source_rhs(v_wl, v_bl)
        f = net.l_wire @ x - rhs[:, 0]
        np.add.at(f, net.wid.ravel(), i.ravel())
        np.add.at(f, net.bid.ravel(), -i.ravel())
        # rounding floor of each KCL sum: eps times the sum of the absolute terms added there
        terms = net.abs_l_wire @ np.abs(x) + np.abs(rhs[:, 0])
        np.add.at(terms, net.wid.ravel(), np.abs(i).ravel())
        np.add.at(terms, net.bid.ravel(), np.abs(i).ravel())
        floor_a = 64 * np.finfo(float).eps * terms[net.free].max(initial=0.0)
        return f[net.free], i, gd, vdev, floor_a

    def _newton_one(self, net, cell, g_open, v_wl, v_bl):
        vmax = max(1.0, float(np.nanmax(np.abs(np.concatenate((v_wl.ravel(), v_bl.ravel()))))))
        # start: nodes at the voltages a linear solve with the small-signal conductance at 0 V gives
        _, g0, _ = cell(np.zeros(g_open.shape))
        g0 = np.where(g_open > 0, np.maximum(g0, 1e-30), 0.0)
        vw, vb = self._solve_linear(net, g0, v_wl, v_bl)
        f, i, gd, vdev, floor_a = self._residual(net, cell, vw, vb, v_wl, v_bl)
        fnorm = np.abs(f).max(initial=0.0)
        v_tol = self.tol * vmax
        prev_update = np.inf
        for it in range(1, self.max_newton + 1):
            v_cell = vw - vb
            g_lin = np.where(g_open > 0, np.maximum(gd, 1e-30), 0.0)[None]
            j0 = i[None] - g_lin * v_cell
            vw_n, vb_n = self._solve_linear(net, g_lin[0], v_wl, v_bl, j0, x0_b=vb)
            dw, db = vw_n - vw, vb_n - vb
            step = max(np.abs(dw).max(), np.abs(db).max())
            lam = 1.0
            for _ in range(40):
                vw_t, vb_t = vw + lam * dw, vb + lam * db
                f_t, i_t, gd_t, vdev_t, floor_t = self._residual(net, cell, vw_t, vb_t, v_wl, v_bl)
                fn_t = np.abs(f_t).max(initial=0.0)
                if fn_t <= max(fnorm, floor_t) or lam * step <= v_tol:
                    break
                lam *= 0.5
            vw, vb, f, i, gd, vdev, fnorm, floor_a = vw_t, vb_t, f_t, i_t, gd_t, vdev_t, fn_t, floor_t
            i_scale = np.abs(i).max(initial=0.0)
            update = lam * step
            kcl_ok = fnorm <= 1e-9 * i_scale + floor_a + 1e-18
            stalled = update <= np.sqrt(self.tol) * vmax and update >= 0.5 * prev_update
            if kcl_ok and (update <= v_tol or stalled):
                return vw, vb, i[None], vdev[None], it
            prev_update = update
        raise SolverError(
            f"Newton's method did not converge in {self.max_newton} iterations "
            f"(last node-voltage update {lam * step:.3g} V, KCL residual {fnorm:.3g} A)"
        )
