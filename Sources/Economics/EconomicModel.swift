import Bioprocess

/// A process with its costs and, optionally, the inputs of a fair price; and every input
/// written as a distribution, with the setter that writes a sample into a working copy.
public struct EconomicModel: Sendable {
    public var process: ProcessDefinition
    public var costs: CostModel
    public var price: PriceInputs?
    public var parameters: [UncertainParameter]

    public init(process: ProcessDefinition, costs: CostModel, price: PriceInputs?, parameters: [UncertainParameter]) {
        self.process = process
        self.costs = costs
        self.price = price
        self.parameters = parameters
    }

    /// The lot's cost at the nominal inputs.
    public func nominalCost() throws(SimulationError) -> (LotSummary, LotCost) {
        try CostCalculator.cost(process, costs)
    }
}

/// Sets one uncertain input of an economic model, in its canonical unit.
public typealias EconomicSetter = @Sendable (inout EconomicModel, Double) -> Void

/// An uncertain input with its readable name and its setter.
public struct UncertainParameter: Sendable {
    public var input: UncertainInput
    /// `downstream[Affinity capture].yield`
    public var label: String
    public var set: EconomicSetter

    public init(input: UncertainInput, label: String, set: @escaping EconomicSetter) {
        self.input = input
        self.label = label
        self.set = set
    }
}

/// The inputs of a cost-plus price.
public struct PriceInputs: Sendable, Hashable {
    /// Development cost to recover (research, trials, failures), in the cost model's currency.
    public var developmentCost: Double
    /// Patients expected to be treated over the recovery period.
    public var expectedPatients: Double
    public var years: Quantity<Duration>
    /// Distribution: a fraction of the price, or an amount per dose.
    public var distribution: Either<Quantity<Fraction>, Double>
    /// Margin on cost.
    public var margin: Double
    /// A list price to compare with.
    public var listPrice: Double?

    public init(
        developmentCost: Double, expectedPatients: Double, years: Quantity<Duration>,
        distribution: Either<Quantity<Fraction>, Double>, margin: Double, listPrice: Double?
    ) {
        self.developmentCost = developmentCost
        self.expectedPatients = expectedPatients
        self.years = years
        self.distribution = distribution
        self.margin = margin
        self.listPrice = listPrice
    }
}

/// A fair, cost-plus price per dose (seed 000: "a fair and controlled price, based on the costs
/// actually borne for development, production and distribution").
public struct FairPrice: Sendable, Hashable {
    public var cogsPerDose: Double
    public var developmentPerDose: Double
    public var distributionPerDose: Double
    public var marginPerDose: Double
    public var pricePerDose: Double
    public var listPrice: Double?
    public var dosesPerYear: Double

    /// Price = (COGS + development + distribution per dose) × (1 + margin); when distribution is
    /// a share of the price, price = (COGS + development) × (1 + margin) ÷ (1 − share).
    public static func compute(_ inputs: PriceInputs, cogsPerDose: Double, dosesPerPatient: Int) -> FairPrice {
        let doses = inputs.expectedPatients * Double(dosesPerPatient)
        let development = inputs.developmentCost / doses
        let base = cogsPerDose + development
        let price: Double
        let distribution: Double
        switch inputs.distribution {
        case .first(let share):
            price = base * (1 + inputs.margin) / (1 - share.value)
            distribution = price * share.value
        case .second(let perDose):
            price = (base + perDose) * (1 + inputs.margin)
            distribution = perDose
        }
        return FairPrice(
            cogsPerDose: cogsPerDose, developmentPerDose: development, distributionPerDose: distribution,
            marginPerDose: price - base - distribution, pricePerDose: price, listPrice: inputs.listPrice,
            dosesPerYear: doses / inputs.years.value(in: "yr"))
    }

    /// List price over fair price.
    public var listToFair: Double? { listPrice.map { $0 / pricePerDose } }
}
