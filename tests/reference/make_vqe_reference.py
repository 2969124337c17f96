#!/usr/bin/env python3
"""Generate reference data for the VQE tests: ``tests/reference/vqe_reference.json``.

This script is run once by hand; its JSON output is committed.  It is not
part of the build or of the test suite.

Set up a separate virtual environment (build/ is git-ignored) and run it
from the repository root:

    python3 -m venv build/chem-venv
    build/chem-venv/bin/pip install qiskit qiskit-nature pyscf numpy scipy
    build/chem-venv/bin/python tests/reference/make_vqe_reference.py

Versions used for the committed JSON (also recorded in its "generator" block):
    qiskit 2.6.2, qiskit-nature 0.8.0, pyscf 2.14.0, numpy 2.4.6 (scipy 1.17.1),
    Python 3.11.7.  The script forces OMP_NUM_THREADS=1 so that reruns
    reproduce the JSON bit for bit.

Contents of the JSON:

* "hamiltonians": qubit Hamiltonians (Jordan-Wigner, Qiskit Pauli labels with
  the rightmost character acting on qubit 0, real coefficients, electronic
  part only) for H2/STO-3G at 0.735 angstrom and LiH/STO-3G at 1.6 angstrom
  in a (2 electrons, 3 spatial orbitals) active space, together with
  reference energies (Hartree):
    - nuclear_repulsion, hf_energy, fci_energy: total energies from pyscf
      (scf.RHF, fci.FCI; for LiH mcscf.CASCI in the same active space as the
      ActiveSpaceTransformer, i.e. FCI within the active space);
    - energy_shift (LiH only): the ActiveSpaceTransformer constant (inactive
      core energy), to be added to the qubit energies;
    - qubit_ground_energy: lowest eigenvalue of the whole qubit operator;
    - qubit_ground_energy_in_sector: lowest eigenvalue restricted to the
      molecule's (N_alpha, N_beta) sector (qiskit-nature JW ordering: qubits
      0..n-1 are the alpha spin orbitals, n..2n-1 the beta ones).
  Invariant asserted here (1e-9):
    fci_energy == qubit_ground_energy_in_sector + energy_shift + nuclear_repulsion
  (energy_shift = 0 for H2).

* "ansatz_states": statevectors of qiskit's real_amplitudes / efficient_su2
  circuits for random parameters.  Parameters theta are bound in the order of
  circuit.parameters, which is checked to be θ[0], θ[1], ... by numeric index.
  state_re/state_im are Statevector amplitudes, index bit k = qubit k
  (qubit 0 least significant, Qiskit's order).
"""

from __future__ import annotations

import os

# pyscf's threaded (OpenMP) reductions change the last bits of the LiH
# integrals from run to run (~1e-15 relative); one thread makes the JSON
# bit-for-bit reproducible.  Must be set before numpy/pyscf are imported.
os.environ["OMP_NUM_THREADS"] = "1"

import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
from importlib.metadata import version  # noqa: E402

import numpy as np  # noqa: E402
import qiskit  # noqa: E402
from pyscf import fci, gto, mcscf, scf  # noqa: E402
from qiskit.quantum_info import SparsePauliOp, Statevector  # noqa: E402
from qiskit_nature.second_q.drivers import PySCFDriver  # noqa: E402
from qiskit_nature.second_q.mappers import JordanWignerMapper  # noqa: E402
from qiskit_nature.second_q.transformers import ActiveSpaceTransformer  # noqa: E402

try:
    from qiskit.circuit.library import efficient_su2, real_amplitudes  # noqa: E402
except ImportError:  # older qiskit: class forms only
    from qiskit.circuit.library import EfficientSU2, RealAmplitudes

    def real_amplitudes(num_qubits, **kw):
        return RealAmplitudes(num_qubits, **kw).decompose()

    def efficient_su2(num_qubits, **kw):
        return EfficientSU2(num_qubits, **kw).decompose()


REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_PATH = os.path.join(REPO_ROOT, "tests", "reference", "vqe_reference.json")

COEFF_DROP = 1e-12
IMAG_TOL = 1e-12
CONSISTENCY_TOL = 1e-9


# --------------------------------------------------------------------------- #
# Hamiltonians
# --------------------------------------------------------------------------- #

def real_terms(op: SparsePauliOp) -> list[list]:
    """[[label, real coeff], ...] in the operator's own order, tiny terms dropped."""
    op = op.simplify(atol=0.0)
    terms = []
    for label, coeff in op.to_list():
        c = complex(coeff)
        assert abs(c.imag) < IMAG_TOL, (label, c)
        if abs(c.real) < COEFF_DROP:
            continue
        terms.append([label, float(c.real)])
    return terms


def sector_indices(num_spatial: int, n_alpha: int, n_beta: int) -> np.ndarray:
    """Basis indices (qubit 0 = LSB) with n_alpha set bits among qubits
    0..num_spatial-1 and n_beta among num_spatial..2*num_spatial-1."""
    mask = (1 << num_spatial) - 1
    idx = [
        i
        for i in range(1 << (2 * num_spatial))
        if bin(i & mask).count("1") == n_alpha
        and bin(i >> num_spatial).count("1") == n_beta
    ]
    return np.array(idx, dtype=np.int64)


def qubit_energies(terms, num_spatial, n_alpha, n_beta):
    """Global and sector ground energies of the operator built from `terms`,
    plus the (N_alpha, N_beta) sector holding the global ground state."""
    op = SparsePauliOp.from_list([(lbl, c) for lbl, c in terms])
    mat = op.to_matrix()
    assert np.allclose(mat, mat.conj().T)
    evals = np.linalg.eigvalsh(mat)
    e_global = float(evals[0])
    idx = sector_indices(num_spatial, n_alpha, n_beta)
    e_sector = float(np.linalg.eigvalsh(mat[np.ix_(idx, idx)])[0])

    # Where does the global minimum live?  The JW Hamiltonian conserves
    # N_alpha and N_beta, so it is block diagonal in these sectors.
    per_sector = {}
    for na in range(num_spatial + 1):
        for nb in range(num_spatial + 1):
            sidx = sector_indices(num_spatial, na, nb)
            block = mat[np.ix_(sidx, sidx)]
            per_sector[(na, nb)] = float(np.linalg.eigvalsh(block)[0])
    best = min(per_sector.values())
    assert abs(best - e_global) < 1e-10, (best, e_global)
    global_sectors = [k for k, v in per_sector.items() if abs(v - e_global) < 1e-9]
    return e_global, e_sector, global_sectors, per_sector


def pyscf_mol(atom: str) -> gto.Mole:
    mol = gto.Mole()
    mol.atom = atom
    mol.unit = "Angstrom"
    mol.basis = "sto3g"
    mol.charge = 0
    mol.spin = 0
    mol.symmetry = False
    mol.verbose = 0
    mol.build()
    return mol


def pyscf_rhf(mol: gto.Mole) -> scf.hf.RHF:
    mf = scf.RHF(mol)
    mf.conv_tol = 1e-13
    mf.conv_tol_grad = 1e-10
    mf.kernel()
    assert mf.converged
    return mf


def make_h2():
    atom = "H 0 0 0; H 0 0 0.735"
    driver = PySCFDriver(atom=atom, basis="sto3g", charge=0, spin=0, conv_tol=1e-13)
    problem = driver.run()
    nuc = float(problem.hamiltonian.nuclear_repulsion_energy)
    consts = dict(problem.hamiltonian.constants)
    assert set(consts) == {"nuclear_repulsion_energy"}, consts

    op = JordanWignerMapper().map(problem.hamiltonian.second_q_op())
    terms = real_terms(op)
    n_alpha, n_beta = problem.num_particles
    n_spatial = problem.num_spatial_orbitals
    e_glob, e_sec, glob_sectors, _ = qubit_energies(terms, n_spatial, n_alpha, n_beta)

    mol = pyscf_mol(atom)
    mf = pyscf_rhf(mol)
    cis = fci.FCI(mf)
    cis.conv_tol = 1e-13
    e_fci, _ = cis.kernel()
    e_fci = float(e_fci)
    e_hf = float(mf.e_tot)

    assert abs(float(mol.energy_nuc()) - nuc) < 1e-12
    assert abs(e_hf - float(problem.reference_energy)) < 1e-9
    assert abs(e_fci - (e_sec + nuc)) < CONSISTENCY_TOL, (e_fci, e_sec + nuc)

    entry = {
        "name": "h2_sto3g_0.735",
        "description": "H2, STO-3G, bond length 0.735 angstrom, Jordan-Wigner",
        "num_qubits": op.num_qubits,
        "num_spatial_orbitals": n_spatial,
        "num_particles": [int(n_alpha), int(n_beta)],
        "terms": terms,
        "nuclear_repulsion": nuc,
        "energy_shift": 0.0,
        "hf_energy": e_hf,
        "fci_energy": e_fci,
        "qubit_ground_energy": e_glob,
        "qubit_ground_energy_in_sector": e_sec,
    }
    info = {"global_ground_sectors": glob_sectors}
    return entry, info


def make_lih():
    atom = "Li 0 0 0; H 0 0 1.6"
    n_elec_active, n_orb_active = 2, 3
    driver = PySCFDriver(atom=atom, basis="sto3g", charge=0, spin=0, conv_tol=1e-13)
    full_problem = driver.run()
    transformer = ActiveSpaceTransformer(
        num_electrons=n_elec_active, num_spatial_orbitals=n_orb_active
    )
    problem = transformer.transform(full_problem)

    consts = dict(problem.hamiltonian.constants)
    nuc = float(consts.pop("nuclear_repulsion_energy"))
    assert set(consts) == {"ActiveSpaceTransformer"}, consts
    shift = float(sum(consts.values()))

    op = JordanWignerMapper().map(problem.hamiltonian.second_q_op())
    terms = real_terms(op)
    n_alpha, n_beta = problem.num_particles
    n_spatial = problem.num_spatial_orbitals
    assert (n_spatial, n_alpha + n_beta) == (n_orb_active, n_elec_active)
    e_glob, e_sec, glob_sectors, per_sector = qubit_energies(
        terms, n_spatial, n_alpha, n_beta
    )

    # pyscf on the same molecule.  ActiveSpaceTransformer's default active
    # space: the n_orb_active orbitals starting right above the doubly
    # occupied inactive core, ncore = (N - n_elec_active) / 2, which is also
    # CASCI's default choice.
    mol = pyscf_mol(atom)
    mf = pyscf_rhf(mol)
    mc = mcscf.CASCI(mf, n_orb_active, n_elec_active)
    mc.fcisolver.conv_tol = 1e-13
    mc.verbose = 0
    e_cas = float(mc.kernel()[0])
    cis = fci.FCI(mf)
    cis.conv_tol = 1e-13
    e_full_fci = float(cis.kernel()[0])
    e_hf = float(mf.e_tot)

    assert mc.ncore == 1, mc.ncore
    assert abs(float(mol.energy_nuc()) - nuc) < 1e-12
    assert abs(e_hf - float(full_problem.reference_energy)) < 1e-9
    # HF determinant within the active space: core energy + <HF|H_active|HF>.
    assert abs(e_cas - (e_sec + shift + nuc)) < CONSISTENCY_TOL, (
        e_cas,
        e_sec + shift + nuc,
        e_cas - (e_sec + shift + nuc),
    )

    entry = {
        "name": "lih_sto3g_1.6_as2e3o",
        "description": (
            "LiH, STO-3G, bond length 1.6 angstrom, "
            "ActiveSpaceTransformer(num_electrons=2, num_spatial_orbitals=3), "
            "Jordan-Wigner"
        ),
        "num_qubits": op.num_qubits,
        "num_spatial_orbitals": n_spatial,
        "num_particles": [int(n_alpha), int(n_beta)],
        "terms": terms,
        "nuclear_repulsion": nuc,
        "energy_shift": shift,
        "hf_energy": e_hf,
        "fci_energy": e_cas,
        "full_space_fci_energy": e_full_fci,
        "qubit_ground_energy": e_glob,
        "qubit_ground_energy_in_sector": e_sec,
    }
    info = {"global_ground_sectors": glob_sectors, "per_sector": per_sector}
    return entry, info


# --------------------------------------------------------------------------- #
# Ansatz states
# --------------------------------------------------------------------------- #

def check_parameter_order(circuit) -> None:
    params = list(circuit.parameters)
    names = [p.name for p in params]
    expected = [f"θ[{i}]" for i in range(len(params))]
    assert names == expected, names
    for i, p in enumerate(params):
        assert p.index == i and p.vector.name == "θ", (i, p)


def make_ansatz_states():
    builders = {"real_amplitudes": real_amplitudes, "efficient_su2": efficient_su2}
    entanglements = ["linear", "reverse_linear", "circular", "full", "pairwise"]
    seed = 7
    states = []
    max_params = 0
    for name, build in builders.items():
        for n in (3, 4):
            for reps in (1, 2):
                for ent in entanglements:
                    skips = [False, True] if (n, reps, ent) == (4, 2, "linear") else [False]
                    for skip in skips:
                        circ = build(
                            n,
                            entanglement=ent,
                            reps=reps,
                            skip_final_rotation_layer=skip,
                        )
                        check_parameter_order(circ)
                        rng = np.random.default_rng(seed)
                        theta = rng.uniform(-math.pi, math.pi, circ.num_parameters)
                        bound = circ.assign_parameters(list(theta))
                        assert bound.num_parameters == 0
                        sv = Statevector(bound).data
                        assert abs(np.vdot(sv, sv) - 1.0) < 1e-12
                        states.append(
                            {
                                "ansatz": name,
                                "num_qubits": n,
                                "reps": reps,
                                "entanglement": ent,
                                "skip_final_rotation_layer": skip,
                                "seed": seed,
                                "theta": [float(t) for t in theta],
                                "state_re": [float(a.real) for a in sv],
                                "state_im": [float(a.imag) for a in sv],
                            }
                        )
                        max_params = max(max_params, circ.num_parameters)
                        seed += 1
    return states, max_params


def main() -> int:
    h2, h2_info = make_h2()
    lih, lih_info = make_lih()
    states, max_params = make_ansatz_states()

    data = {
        "generator": {
            "script": "tests/reference/make_vqe_reference.py",
            "qiskit": qiskit.__version__,
            "qiskit_nature": version("qiskit-nature"),
            "pyscf": version("pyscf"),
            "numpy": np.__version__,
        },
        "hamiltonians": [h2, lih],
        "ansatz_states": states,
    }
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")

    # Round trip: the floats written are exactly the ones computed.
    with open(OUT_PATH, encoding="utf-8") as f:
        assert json.load(f) == data

    for entry, info in ((h2, h2_info), (lih, lih_info)):
        print(f"{entry['name']}: {entry['num_qubits']} qubits, {len(entry['terms'])} terms")
        for key in (
            "nuclear_repulsion",
            "energy_shift",
            "hf_energy",
            "fci_energy",
            "full_space_fci_energy",
            "qubit_ground_energy",
            "qubit_ground_energy_in_sector",
        ):
            if key in entry:
                print(f"  {key:30s} {entry[key]!r}")
        print(f"  sector (N_alpha, N_beta)       {tuple(entry['num_particles'])}")
        print(f"  global minimum in sector(s)    {info['global_ground_sectors']}")
        if "per_sector" in info:
            for k, v in sorted(info["per_sector"].items(), key=lambda kv: kv[1]):
                print(f"    sector {k}: {v!r}")
    print(f"ansatz_states: {len(states)} entries, up to {max_params} parameters;"
          " circuit.parameters order is numeric θ[0], θ[1], ...")
    print(f"wrote {os.path.relpath(OUT_PATH, REPO_ROOT)} ({os.path.getsize(OUT_PATH)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
