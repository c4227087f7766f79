import { LabIcon } from '@jupyterlab/ui-components';

import iconSvg from '../style/icons/sm-studio-setup.svg';

export const setupIcon = new LabIcon({
  name: 'sm-studio-setup:icon',
  svgstr: iconSvg
});
