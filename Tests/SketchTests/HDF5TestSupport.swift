import CHDF5
import SketchFiles

/// Raw HDF5 calls for tests that need files Sketch's own writer never makes.
enum HDF5TestSupport {
  struct Failure: Error, CustomStringConvertible { var description: String }

  /// Adds a float32 dataset of `shape`, deflate-compressed in chunks, none of which is written: the
  /// file stays small but claims that many elements (as a damaged header can).
  static func addUnwrittenDataset(to path: String, name: String, shape: [Int]) throws {
    let file = H5Fopen(path, shim_H5F_ACC_RDWR(), hid_t(H5P_DEFAULT))
    guard file >= 0 else { throw Failure(description: "cannot open \(path)") }
    defer { H5Fclose(file) }
    var dims = shape.map { hsize_t($0) }
    let space = H5Screate_simple(Int32(dims.count), &dims, nil)
    defer { H5Sclose(space) }
    let dcpl = H5Pcreate(shim_H5P_DATASET_CREATE())
    defer { H5Pclose(dcpl) }
    var chunk = shape.map { _ in hsize_t(64) }
    H5Pset_chunk(dcpl, Int32(chunk.count), &chunk)
    H5Pset_deflate(dcpl, 4)
    let dataset = H5Dcreate2(file, name, shim_H5T_IEEE_F32LE(), space, hid_t(H5P_DEFAULT), dcpl, hid_t(H5P_DEFAULT))
    guard dataset >= 0 else { throw Failure(description: "cannot create \(name) in \(path)") }
    H5Dclose(dataset)
  }
}
