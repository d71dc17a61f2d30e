import Hummingbird
import Store
