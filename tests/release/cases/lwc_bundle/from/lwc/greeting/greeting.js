export default class Greeting {}
