import CHDF5
import SketchRuntime

/// How the HDF5 library ends with the process.
public enum HDF5ProcessExit {
  /// Keeps the library from running its shutdown at process exit (call before any other HDF5 use).
  ///
  /// After a write fails with a full disk (or `ulimit -f`), `H5Fclose` fails and leaves the file's
  /// state half-closed; the library's exit handler then dereferences it and the process segfaults
  /// after the error was reported. Every file Sketch writes is closed or discarded explicitly, and
  /// one not committed is only a temporary, so nothing is lost by skipping the shutdown.
  public static func skipLibraryShutdown() {
    _ = H5dont_atexit()
  }
}
