import CTessel
import Synchronization
import Tessel
#if canImport(Glibc)
import Glibc
#endif

/// The thread count of every call made through the C interface.
enum ThreadSetting {
    /// `tessel_set_num_threads`' value; starts at `Scheduler.defaultWorkerCount`
    /// (TESSEL_THREADS, else every online CPU).
    static let workers = Atomic<Int>(Scheduler.defaultWorkerCount)

    /// A scheduler with the current thread count (a small value; making one costs nothing).
    static var scheduler: Scheduler {
        get throws { try Scheduler(workers: workers.load(ordering: .relaxed)) }
    }
}

@_cdecl("tessel_set_num_threads")
public func tesselSetNumThreads(_ n: Int64, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> tessel_status {
    exported(error) {
        guard n >= 1, n <= Int64(Int32.max) else {
            throw TesselError.invalidParameter(component: "tessel", parameter: "num_threads", value: "\(n)",
                                               reason: "must be at least 1 and at most \(Int32.max)")
        }
        ThreadSetting.workers.store(Int(n), ordering: .relaxed)
    }
}

@_cdecl("tessel_get_num_threads")
public func tesselGetNumThreads() -> Int64 {
    Int64(ThreadSetting.workers.load(ordering: .relaxed))
}

@_cdecl("tessel_string_free")
public func tesselStringFree(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}

@_cdecl("tessel_tensor_shape")
public func tesselTensorShape(_ tensor: OpaquePointer?, _ shape: UnsafeMutablePointer<Int64>?) -> Int32 {
    guard let tensor, let exported = Handle.object(tensor) as? ExportedTensor else { return -1 }
    for (index, dimension) in exported.shape.enumerated() { shape?[index] = Int64(dimension) }
    return Int32(exported.shape.count)
}

@_cdecl("tessel_tensor_data")
public func tesselTensorData(_ tensor: OpaquePointer?) -> UnsafeMutableRawPointer? {
    guard let tensor, let exported = Handle.object(tensor) as? ExportedTensor else { return nil }
    return exported.baseAddress
}

@_cdecl("tessel_tensor_take")
public func tesselTensorTake(_ tensor: OpaquePointer?, _ destination: UnsafeMutableRawPointer?) {
    guard let tensor else { return }
    if let destination, let exported = Handle.object(tensor) as? ExportedTensor {
        exported.copyElements(to: destination)
    }
    Handle.release(tensor)
}

@_cdecl("tessel_tensor_release")
public func tesselTensorRelease(_ tensor: OpaquePointer?) {
    if let tensor { Handle.release(tensor) }
}

@_cdecl("tessel_cache_release")
public func tesselCacheRelease(_ cache: OpaquePointer?) {
    if let cache { Handle.release(cache) }
}
