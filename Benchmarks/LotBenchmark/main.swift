import Bioprocess
import FileFormats
print("todo")
