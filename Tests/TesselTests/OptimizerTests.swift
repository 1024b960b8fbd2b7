import Testing
@testable import Tessel
import TesselTestSupport

/// The update-rule checks of CS231n's FullyConnectedNets notebook (N, D = 4, 5), with expected
/// values computed by NumPy from `optim.py`'s formulas.
@Suite struct OptimizerTests {
    static let w = try! TestData.linspace(-0.4, 0.6, shape: [4, 5], as: Double.self)
    static let dw = try! TestData.linspace(-0.6, 0.4, shape: [4, 5], as: Double.self)
    static let rising = try! TestData.linspace(0.6, 0.9, shape: [4, 5], as: Double.self)

    static func tensor(_ values: [Double]) -> Tensor<Double> { try! Tensor(shape: [4, 5], scalars: values) }

    /// Runs one update of `w` from `state` and returns the new `w` and state.
    static func step(_ settings: OptimizerSettings, state: ParameterState<Double>?,
                     scheduler: Scheduler = .serial) throws -> (Tensor<Double>, ParameterState<Double>) {
        var optimizer = try Optimizer<Double>(settings: settings, learningRate: settings.learningRate,
                                              states: state.map { ["w": $0] } ?? [:])
        var w = w
        try optimizer.update(&w, gradient: dw, name: "w", scheduler: scheduler)
        return (w, optimizer.states["w"]!)
    }

    @Test func sgd() throws {
        let (w, state) = try Self.step(OptimizerSettings(rule: .sgd), state: nil)
        #expect(maxRelativeError(w, Self.tensor([
            -0.394, -0.3418947368421053, -0.28978947368421054, -0.23768421052631583, -0.1855789473684211,
            -0.13347368421052636, -0.08136842105263162, -0.029263157894736883, 0.022842105263157848, 0.07494736842105258,
            0.1270526315789473, 0.1791578947368421, 0.23126315789473678, 0.2833684210526315, 0.33547368421052626,
            0.387578947368421, 0.43968421052631573, 0.4917894736842104, 0.5438947368421052, 0.596])) < 1e-7)
        #expect(state.step == 1 && state.slots.isEmpty)
    }

    @Test func sgdMomentum() throws {
        let settings = try OptimizerSettings(rule: .sgdMomentum, learningRate: 1e-3)
        let (w, state) = try Self.step(settings, state: ParameterState(slots: ["velocity": Self.rising]))
        #expect(maxRelativeError(w, Self.tensor([
            0.14060000000000006, 0.2073894736842105, 0.27417894736842097, 0.34096842105263164, 0.407757894736842,
            0.47454736842105266, 0.5413368421052631, 0.6081263157894736, 0.6749157894736842, 0.7417052631578946,
            0.8084947368421053, 0.8752842105263158, 0.9420736842105263, 1.0088631578947367, 1.0756526315789472,
            1.142442105263158, 1.2092315789473682, 1.276021052631579, 1.3428105263157895, 1.4096000000000002])) < 1e-7)
        #expect(maxRelativeError(state.slots["velocity"]!, Self.tensor([
            0.5406000000000001, 0.5547578947368421, 0.5689157894736842, 0.5830736842105264, 0.5972315789473683,
            0.6113894736842106, 0.6255473684210526, 0.6397052631578948, 0.6538631578947369, 0.6680210526315788,
            0.6821789473684211, 0.6963368421052631, 0.7104947368421053, 0.7246526315789474, 0.7388105263157895,
            0.7529684210526316, 0.7671263157894737, 0.7812842105263159, 0.795442105263158, 0.8096000000000001])) < 1e-7)
    }

    @Test func rmsprop() throws {
        let (w, state) = try Self.step(OptimizerSettings(rule: .rmsprop), state: ParameterState(slots: ["cache": Self.rising]))
        #expect(maxRelativeError(w, Self.tensor([
            -0.3922384948433383, -0.34037513299070765, -0.28849238846687814, -0.23659120821081786, -0.18467247195258382,
            -0.13273699834703015, -0.08078555043091254, -0.02881884049026984, 0.023162465587694647, 0.07515774441461458,
            0.12716641159814304, 0.17918791858913796, 0.2312217498380417, 0.28326742022505713, 0.33532447273333105,
            0.3873924763382963, 0.43947102408970146, 0.4915597313657581, 0.5436582342813369, 0.5957661882343064])) < 1e-7)
        #expect(maxRelativeError(state.slots["cache"]!, Self.tensor([
            0.5976, 0.6126277008310249, 0.6277108033240998, 0.6428493074792244, 0.6580432132963988,
            0.6732925207756232, 0.6885972299168975, 0.7039573407202216, 0.7193728531855956, 0.7348437673130194,
            0.7503700831024931, 0.7659518005540166, 0.78158891966759, 0.7972814404432133, 0.8130293628808865,
            0.8288326869806094, 0.8446914127423822, 0.8606055401662049, 0.8765750692520776, 0.8926000000000001])) < 1e-7)
    }

    @Test func adam() throws {
        let settings = try OptimizerSettings(rule: .adam, learningRate: 1e-2)
        let v = try TestData.linspace(0.7, 0.5, shape: [4, 5], as: Double.self)
        let (w, state) = try Self.step(settings, state: ParameterState(step: 5, slots: ["m": Self.rising, "v": v]))
        #expect(maxRelativeError(w, Self.tensor([
            -0.40094747166840083, -0.3483618689667189, -0.2957770321333014, -0.24319298836973444, -0.19060976631902593,
            -0.13802739616704435, -0.08544590975289204, -0.032865340689163525, 0.019714275506843335, 0.07229290126975907,
            0.12487049682925762, 0.17744702003811577, 0.2300224261834716, 0.2825966677792994, 0.33516969433784094,
            0.3877414521174136, 0.4403118838436444, 0.49288092840074144, 0.5454485204889067, 0.5980145902433942])) < 1e-7)
        #expect(maxRelativeError(state.slots["m"]!, Self.tensor([
            0.48000000000000004, 0.49947368421052635, 0.5189473684210526, 0.538421052631579, 0.5578947368421052,
            0.5773684210526316, 0.596842105263158, 0.6163157894736842, 0.6357894736842106, 0.6552631578947368,
            0.6747368421052632, 0.6942105263157895, 0.7136842105263158, 0.7331578947368421, 0.7526315789473684,
            0.7721052631578947, 0.791578947368421, 0.8110526315789475, 0.8305263157894738, 0.8500000000000001])) < 1e-7)
        #expect(maxRelativeError(state.slots["v"]!, Self.tensor([
            0.69966, 0.6890838227146813, 0.678513185595568, 0.6679480886426593, 0.6573885318559557,
            0.6468345152354571, 0.6362860387811634, 0.6257431024930747, 0.615205706371191, 0.6046738504155125,
            0.5941475346260386, 0.5836267590027702, 0.5731115235457064, 0.5626018282548476, 0.5520976731301939,
            0.5415990581717451, 0.5311059833795013, 0.5206184487534625, 0.5101364542936287, 0.49966])) < 1e-7)
        #expect(state.step == 6)
    }

    @Test func defaultsAreThoseOfOptimPy() throws {
        let adam = try OptimizerSettings(rule: .adam)
        #expect(adam.learningRate == 1e-3 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-8)
        let rmsprop = try OptimizerSettings(rule: .rmsprop)
        #expect(rmsprop.learningRate == 1e-2 && rmsprop.decayRate == 0.99 && rmsprop.epsilon == 1e-8)
        let momentum = try OptimizerSettings(rule: .sgdMomentum)
        #expect(momentum.learningRate == 1e-2 && momentum.momentum == 0.9 && momentum.learningRateDecay == 1)
        #expect(try OptimizerSettings(rule: .sgd).learningRate == 1e-2)
    }

    /// The first update starts from zero state, as `config.setdefault(..., np.zeros_like(w))`.
    @Test func firstUpdateStartsFromZeroState() throws {
        let zeros = try Tensor<Double>(shape: [4, 5])
        for rule in OptimizerSettings.Rule.allCases {
            let settings = try OptimizerSettings(rule: rule)
            let fresh = try Self.step(settings, state: nil)
            let zeroState = ParameterState(slots: Dictionary(uniqueKeysWithValues: rule.slotNames.map { ($0, zeros) }))
            let explicit = try Self.step(settings, state: zeroState)
            #expect(fresh.0.isBitwiseEqual(to: explicit.0))
            #expect(!fresh.0.isBitwiseEqual(to: Self.w))
        }
    }

    @Test func learningRateDecaysPerEpoch() throws {
        var optimizer = Optimizer<Double>(settings: try OptimizerSettings(rule: .sgd, learningRate: 0.1, learningRateDecay: 0.5))
        optimizer.endEpoch()
        optimizer.endEpoch()
        #expect(optimizer.learningRate == 0.025)
        var w = Self.w
        try optimizer.update(&w, gradient: Self.dw, name: "w")
        #expect(abs(w[0, 0] - (Self.w[0, 0] - 0.025 * Self.dw[0, 0])) < 1e-15)
    }

    /// Element-wise updates over odd lengths (vector tails) give the same bits for any tiling.
    @Test(arguments: OptimizerSettings.Rule.allCases)
    func tiledUpdateIsBitwiseDeterministic(rule: OptimizerSettings.Rule) throws {
        let w0 = try TestData.normal([3, 37], seed: 11, as: Float.self)
        let gradients = try (0..<3).map { try TestData.normal([3, 37], seed: 12 + UInt64($0), as: Float.self) }
        func train(_ scheduler: Scheduler) throws -> Tensor<Float> {
            var optimizer = Optimizer<Float>(settings: try OptimizerSettings(rule: rule))
            var w = w0
            for dw in gradients { try optimizer.update(&w, gradient: dw, name: "w", scheduler: scheduler) }
            return w
        }
        let expected = try train(.serial)
        #expect(!expected.isBitwiseEqual(to: w0))
        for scheduler in determinismSchedulers {
            #expect(try train(scheduler).isBitwiseEqual(to: expected))
        }
    }

    @Test func rejectsHyperparametersOutOfDomain() {
        let cases: [(String, () throws -> OptimizerSettings)] = [
            ("learningRate", { try OptimizerSettings(rule: .sgd, learningRate: 0) }),
            ("momentum", { try OptimizerSettings(rule: .sgdMomentum, momentum: 1) }),
            ("decayRate", { try OptimizerSettings(rule: .rmsprop, decayRate: -0.1) }),
            ("beta1", { try OptimizerSettings(rule: .adam, beta1: 1.5) }),
            ("beta2", { try OptimizerSettings(rule: .adam, beta2: 1) }),
            ("epsilon", { try OptimizerSettings(rule: .adam, epsilon: 0) }),
            ("learningRateDecay", { try OptimizerSettings(rule: .adam, learningRateDecay: 1.01) }),
        ]
        for (parameter, make) in cases {
            #expect {
                _ = try make()
            } throws: { error in
                guard case let .invalidParameter(layer, name, _, _) = error as? TesselError else { return false }
                return layer == "optimizer" && name == parameter
            }
        }
    }

    @Test func rejectsMismatchedGradientAndState() throws {
        var optimizer = Optimizer<Double>(settings: try OptimizerSettings(rule: .sgd))
        var w = Self.w
        #expect(throws: TesselError.shapeMismatch(component: "optimizer", argument: "dW1", expected: "the shape of W1 (4, 5)", actual: [5, 4])) {
            try optimizer.update(&w, gradient: try Tensor(shape: [5, 4]), name: "W1")
        }
        let settings = try OptimizerSettings(rule: .adam)
        var restored = try Optimizer<Double>(settings: settings, learningRate: 1e-3, states: [
            "W1": ParameterState(step: 1, slots: ["m": try Tensor(shape: [4, 5]), "v": try Tensor(shape: [20])]),
        ])
        #expect(throws: TesselError.shapeMismatch(component: "optimizer", argument: "W1.v", expected: "the shape of W1 (4, 5)", actual: [20])) {
            try restored.update(&w, gradient: Self.dw, name: "W1")
        }
        #expect(w.isBitwiseEqual(to: Self.w))
        #expect(throws: TesselError.self) {
            try Optimizer<Double>(settings: settings, learningRate: 1e-3, states: ["W1": ParameterState(slots: ["velocity": Self.w])])
        }
        #expect(throws: TesselError.self) {
            try Optimizer<Double>(settings: settings, learningRate: -1, states: [:])
        }
    }
}
