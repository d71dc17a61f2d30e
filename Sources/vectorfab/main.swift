import ArgumentParser
import VectorFabCommands

VectorFabCommand.main()
