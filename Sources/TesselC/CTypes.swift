import CTessel

/// A `const tessel_array *` argument.
public typealias ArrayArgument = UnsafePointer<tessel_array>?
/// A `tessel_tensor **` or `tessel_cache **` out-argument.
public typealias HandleOut = UnsafeMutablePointer<OpaquePointer?>?
/// The `char **error` out-argument of every call.
public typealias ErrorOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
