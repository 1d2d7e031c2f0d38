# family: broken-input
# expect: graded 0
# message: SyntaxError
# tries: a module in which nothing parses (unbalanced brackets, stray keywords)
import numpy as np (

def initialize_parameters_zeros(layers_dims:
    return {{{

def initialize_parameters_random(layers_dims, scale=0.01)
    np.random.seed(3
    return

def initialize_parameters_he(layers_dims) -> -> dict:
    return else

def initialize_parameters_deep(layer_dims):
  	  return )
