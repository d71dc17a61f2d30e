/// An input written as a distribution: where it is and how it varies, in canonical units.
public struct UncertainInput: Sendable, Hashable {
    /// The field, by index: `downstream[2].yield`.
    public var path: FieldPath
    public var location: SourceLocation
    public var distribution: BoundedDistribution
    /// The dimension of its values, for showing them in their unit.
    public var dimension: UnitDimension

    public init(path: FieldPath, location: SourceLocation, distribution: BoundedDistribution, dimension: UnitDimension)
    {
        self.path = path
        self.location = location
        self.distribution = distribution
        self.dimension = dimension
    }
}
