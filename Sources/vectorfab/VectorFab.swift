import ArgumentParser
import VectorFabCommands

/// The `vectorfab` executable: the commands live in VectorFabCommands, where tests reach them.
@main
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
struct VectorFab: AsyncParsableCommand {
    static let configuration = VectorFabCommand.configuration
}
